import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { usage } from "@lodge/db/schema";
import { eventually } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import { startTestBot, type TelegramChat, type TestBot } from "./harness";
import type { Peers } from "./peers";
import { shownText, telegramHtmlProblem } from "./telegram-html";

/**
 * `/ask` against the real AI service (its OpenAI upstream the fake, through a pass-through that
 * can hold a streamed answer between chunks) and the real auth service (the bot's client token,
 * users' tokens), plain-text questions on. The fake answers "You said: <the last question>".
 */
let bot: TestBot;
let peers: Peers;
let nextChat = 7100;

beforeAll(async () => {
  bot = await startTestBot({ peers: ["ai"], env: { BOT_PLAIN_TEXT_ASK: "true" }, aiEnv: { AI_MAX_ATTEMPTS: "1", AI_BREAKER_FAILURES: "1000" } });
  if (!bot.peers) throw new Error("no peers");
  peers = bot.peers;
});
// A test that failed while holding the upstream (or slowing Telegram) leaves nothing of it to the next.
afterEach(() => {
  peers.upstream?.flow();
  bot.telegram?.latency(0);
});
afterAll(async () => {
  // Nothing left held: stopping waits for answers under way.
  peers.upstream?.flow();
  await bot.close();
});

const telegram = () => {
  if (!bot.telegram) throw new Error("no telegram");
  return bot.telegram;
};
const upstream = () => {
  if (!peers.upstream) throw new Error("no upstream");
  return peers.upstream;
};
const fake = () => {
  if (!peers.fakeOpenAi) throw new Error("no fake upstream");
  return peers.fakeOpenAi;
};

/** A registered user and their chat, linked. */
async function linkedChat() {
  const account = await peers.register();
  nextChat += 1;
  const chat = telegram().client({ chatId: nextChat, userId: nextChat, userName: `asker${nextChat}` });
  await bot.link(chat, account.token);
  return { account, chat, chatId: nextChat };
}

/** The Bot API calls of `method` the bot made for a chat. */
const callsFor = (chatId: number, method: string) =>
  telegram()
    .calls.filter((call) => call.method === method && Number(call.body.chat_id) === chatId)
    .map((call) => call.body);

/** Sends `/ask <question>` and hands it to the bot. */
async function ask(chat: TelegramChat, question: string) {
  await chat.sendCommand(chat.makeCommand(`/ask ${question}`));
  await bot.deliver();
}

/** Once the chat's `count`th answer is complete (the bot logs it), the last edit the bot made in that chat. */
async function finalEdit(chatId: number, count = 1) {
  await eventually(() => bot.logLines.filter((line) => line.msg === "/ask answered" && line.chatId === chatId).length >= count);
  const last = callsFor(chatId, "editMessageText").at(-1);
  if (!last) throw new Error("no edit");
  return last;
}

/** The chat requests the upstream was sent whose messages include `text`. */
const sentWith = (text: string) =>
  fake()
    .sentFor(bot.deps.env.BOT_ASK_MODEL)
    .filter((request) => JSON.stringify(request.body.messages).includes(text));

/** The messages of the one chat request sent upstream with `text` in them. */
function messagesSentWith(text: string) {
  const [sent, ...more] = sentWith(text);
  if (!sent || more.length > 0) throw new Error(`${sentWith(text).length} requests sent with ${text}`);
  return sent.body.messages as { role: string; content: string }[];
}

describe("asking the AI", () => {
  test("the answer streams into one message, edited at most once a second (on the clock) and only when it changed, then complete", async () => {
    const { chat, chatId } = await linkedChat();
    upstream().hold();
    // Telegram's answers vary: a chunk may arrive while the edit before it is still on its way.
    telegram().latency(50);
    await ask(chat, "one two three four five six");
    expect(callsFor(chatId, "sendMessage").at(-1)).toMatchObject({ text: "…" });
    // The role chunk: the AI service answers once its upstream gave the first chunk.
    upstream().release(1);
    for (const shown of [1, 2, 3]) {
      bot.clock.advance(1000);
      upstream().release(1);
      await eventually(() => callsFor(chatId, "editMessageText").length === shown);
    }
    upstream().flow();
    await finalEdit(chatId);
    const edits = callsFor(chatId, "editMessageText");
    expect(edits.map((edit) => edit.text)).toEqual(["You", "You said:", "You said: one", "You said: one two three four five six"]);
    expect(edits.every((edit) => edit.parse_mode === "HTML" && Number(edit.message_id) === Number(edits[0]?.message_id))).toBe(true);
  });

  test("the usage is the linked user's at the AI service, called by the bot's client for this update", async () => {
    const { account, chat, chatId } = await linkedChat();
    await ask(chat, "what do I owe?");
    expect((await finalEdit(chatId)).text).toBe("You said: what do I owe?");
    const rows = await eventually(async () => {
      const found = await bot.db.select().from(usage).where(eq(usage.userId, account.id));
      return found.length > 0 && found;
    });
    expect(rows).toMatchObject([{ clientId: "bot-service", kind: "chat", stream: true, status: "ok", model: bot.deps.env.BOT_ASK_MODEL }]);
    expect(rows[0]?.requestId).toMatch(/^bot-update-\d+$/);
    // The report's period ends (exclusive) at the clock's now, when the call was made: a minute on.
    const to = new Date(bot.clock.now().getTime() + 60_000).toISOString();
    const report = await peers.callAi("GET", `/ai/usage?to=${encodeURIComponent(to)}`, { token: await peers.logIn(account) });
    expect(report.status).toBe(200);
    expect(report.json.total.requests).toBe(1);
    // The upstream was asked with the gateway's key (the user never holds one) for the bot's model, with the bot's cap on the answer.
    const sent = sentWith("what do I owe?");
    expect(sent).toHaveLength(1);
    expect(sent[0]?.authorization).toBe(`Bearer ${fake().apiKey}`);
    expect(sent[0]?.body).toMatchObject({ model: bot.deps.env.BOT_ASK_MODEL, stream: true, max_completion_tokens: 2000 });
  });

  test("Markdown becomes Telegram's HTML; hostile text is escaped and links other than http(s) are dropped", async () => {
    const { chat, chatId } = await linkedChat();
    await ask(chat, "**bold** _it_ `x<y` <script>alert(1)</script> & [site](https://example.com/?a=1&b=2) [bad](javascript:alert(1))");
    const edit = await finalEdit(chatId);
    expect(edit.text).toBe(
      'You said: <b>bold</b> <i>it</i> <code>x&lt;y</code> &lt;script&gt;alert(1)&lt;/script&gt; &amp; <a href="https://example.com/?a=1&amp;b=2">site</a> bad',
    );
    expect(edit.parse_mode).toBe("HTML");
    expect(telegramHtmlProblem(String(edit.text))).toBeNull();
  });

  test("a long answer goes on in more messages, each within Telegram's limit and cut between words", async () => {
    const { chat, chatId } = await linkedChat();
    const question = "salt & pepper ".repeat(300).trim();
    await ask(chat, question);
    const first = await finalEdit(chatId);
    const sends = callsFor(chatId, "sendMessage");
    const continued = sends.slice(sends.findIndex((send) => send.text === "…") + 1);
    const parts = [String(first.text), ...continued.map((send) => String(send.text))];
    expect(parts).toHaveLength(2);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(4096);
      expect(telegramHtmlProblem(part)).toBeNull();
      // Cut between words: every word whole, no entity broken.
      expect(part.split(" ").every((word) => ["You", "said:", "salt", "&amp;", "pepper"].includes(word))).toBe(true);
    }
    expect(shownText(parts.join(" ")).replace(/\s+/g, " ")).toBe(`You said: ${question}`);
  });

  test("HTML that Telegram refuses is sent again as plain text", async () => {
    const { chat, chatId } = await linkedChat();
    telegram().refuseHtml(1);
    await ask(chat, "**not so bold**");
    const edit = await finalEdit(chatId);
    expect(edit.text).toBe("You said: **not so bold**");
    expect(edit.parse_mode).toBeUndefined();
  });

  test("a conversation keeps its last turns as context; /new forgets them", async () => {
    const { chat, chatId } = await linkedChat();
    await ask(chat, "my name is Ada");
    await finalEdit(chatId, 1);
    // Plain text in a private chat is a question too (BOT_PLAIN_TEXT_ASK).
    await chat.sendMessage(chat.makeMessage("what is my name?"));
    await bot.deliver();
    await finalEdit(chatId, 2);
    expect(messagesSentWith("what is my name?").slice(1)).toEqual([
      { role: "user", content: "my name is Ada" },
      { role: "assistant", content: "You said: my name is Ada" },
      { role: "user", content: "what is my name?" },
    ]);

    await chat.sendCommand(chat.makeCommand("/new"));
    await bot.deliver();
    await eventually(async () => (await chat.getUpdates()).result.some((update) => update.message.text.includes("start over")));
    await ask(chat, "do you remember me?");
    await finalEdit(chatId, 3);
    expect(messagesSentWith("do you remember me?").map((message) => message.role)).toEqual(["system", "user"]);
  });
});

describe("what the AI service refuses, told in the chat", () => {
  /** Sets a user's limits at the AI service, as an admin does. */
  async function limitUser(userId: string, overrides: Record<string, number | null>) {
    const admin = await peers.admin();
    const body = { rpm: null, tpm: null, concurrency: null, dailyBudgetUsd: null, monthlyBudgetUsd: null, ...overrides };
    const reply = await peers.callAi("PUT", `/ai/admin/users/${userId}/limits`, { token: admin, body });
    expect(reply.status).toBe(200);
  }

  test("the user's rate limit: asking again too soon says how long to wait", async () => {
    const { account, chat, chatId } = await linkedChat();
    await limitUser(account.id, { rpm: 1 });
    // 15 seconds into a minute: the limit frees up in 45.
    const now = bot.clock.now().getTime();
    bot.clock.set(new Date(now - (now % 60_000) + 60_000 + 15_000).toISOString());
    await ask(chat, "first");
    expect((await finalEdit(chatId, 1)).text).toBe("You said: first");
    await ask(chat, "second");
    const refused = await finalEdit(chatId, 2);
    expect(refused.text).toBe("You are asking faster than your limit allows. Please try again in 45 seconds.");
    expect(refused.parse_mode).toBeUndefined();
  });

  test("a spent budget says when it renews, in the chat's language", async () => {
    const { account, chat, chatId } = await linkedChat();
    await limitUser(account.id, { dailyBudgetUsd: 0 });
    const now = bot.clock.now();
    const hoursLeft = Math.ceil((Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime()) / 3_600_000);
    await ask(chat, "anything");
    expect((await finalEdit(chatId)).text).toBe(`Your AI budget is used up for now. It renews in ${hoursLeft} hours.`);
    // Someone whose Telegram speaks German.
    await chat.sendCommand(chat.makeCommand("/ask noch etwas", { from: { language_code: "de" } }));
    await bot.deliver();
    expect((await finalEdit(chatId, 2)).text).toBe(`Dein KI-Budget ist vorerst aufgebraucht. Es erneuert sich in ${hoursLeft} Stunden.`);
  });

  test("the provider failing is the AI being unavailable, without details", async () => {
    const { chat, chatId } = await linkedChat();
    fake().script(bot.deps.env.BOT_ASK_MODEL, { status: 500, message: "upstream exploded at /internal/secret" });
    await ask(chat, "are you there?");
    expect((await finalEdit(chatId)).text).toBe("The AI is not available right now. Please try again in a moment.");
  });

  test("an answer cut off midway keeps what came, with a note, and is not kept as context", async () => {
    const { chat, chatId } = await linkedChat();
    fake().script(bot.deps.env.BOT_ASK_MODEL, { cutAfterChunks: 3 });
    await ask(chat, "tell me everything");
    const edit = await finalEdit(chatId);
    expect(edit.text).toBe("You said: tell\n\n<i>The answer stopped early: The AI is not available right now. Please try again in a moment.</i>");
    await ask(chat, "again");
    await finalEdit(chatId, 2);
    expect(messagesSentWith('"again"').map((message) => message.role)).toEqual(["system", "user"]);
  });

  test("an unlinked chat, and /ask without a question", async () => {
    nextChat += 1;
    const stranger = telegram().client({ chatId: nextChat, userId: nextChat });
    await ask(stranger, "hello?");
    expect((await stranger.getUpdates()).result.at(-1)?.message.text).toContain("not linked to a Lodge account");
    const { chat } = await linkedChat();
    await chat.sendCommand(chat.makeCommand("/ask"));
    await bot.deliver();
    expect((await chat.getUpdates()).result.at(-1)?.message.text).toContain("Send your question after the command");
  });
});

describe("slow answers", () => {
  test("hold no other chat, and a chat's next question waits for its answer (and has it as context); three at a time", async () => {
    const slow = await linkedChat();
    const other = await linkedChat();
    upstream().hold();
    await ask(slow.chat, "slow one");
    await ask(slow.chat, "slow two");
    await ask(slow.chat, "slow three");
    await ask(slow.chat, "slow four");
    expect((await slow.chat.getUpdates()).result.at(-1)?.message.text).toContain("I am still answering your earlier questions");
    // The other chat is answered while the first chat's answer is held mid-stream.
    await other.chat.sendCommand(other.chat.makeCommand("/whoami"));
    await bot.deliver();
    expect((await other.chat.getUpdates()).result.at(-1)?.message.text).toContain("linked to your Lodge account");
    expect(sentWith("slow two")).toHaveLength(0);
    upstream().flow();
    await finalEdit(slow.chatId, 3);
    // Asked one after the other, each with the answers before it; the fourth question was not taken.
    const asked = sentWith("slow").map((request) => (request.body.messages as { content: string }[]).slice(1).map((message) => message.content));
    expect(asked).toEqual([
      ["slow one"],
      ["slow one", "You said: slow one", "slow two"],
      ["slow one", "You said: slow one", "slow two", "You said: slow two", "slow three"],
    ]);
  });
});

describe("a bot without a client secret", () => {
  test("says the AI is not set up", async () => {
    const bare = await startTestBot();
    try {
      if (!bare.telegram) throw new Error("no telegram");
      const chat = bare.telegram.client({ chatId: 7999, userId: 7999 });
      await bare.link(chat, (await bare.issuer.user()).token);
      await chat.sendCommand(chat.makeCommand("/ask hello"));
      await bare.deliver();
      expect((await chat.getUpdates()).result.at(-1)?.message.text).toContain("The AI is not set up for this bot");
    } finally {
      await bare.close();
    }
  });
});
