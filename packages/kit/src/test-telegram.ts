import TelegramServer from "telegram-test-api";
import { createUpdateFeed } from "./test-telegram-feed";

/** A port nothing listens on now (telegram-test-api takes a port, not 0). */
function freePort(): number {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port as number;
  probe.stop(true);
  return port;
}

/** Methods telegram-test-api 4.2 answers with 500 where Telegram answers `true`: the layer answers them, keeping what was asked. */
const answeredByTheLayer = new Set(["setMyCommands", "sendChatAction", "deleteMyCommands"]);

/**
 * The Bot API as bots see it: `telegram-test-api` (a real Bot API emulator) keeps what the bot
 * sends and hands it the updates its test clients send, behind a thin layer answering what the
 * emulator cannot or answers unlike Telegram:
 * - a 403 for chats that blocked the bot, and a 429 with `retry_after` (Telegram's flood control)
 *   for the next `rateLimit(n)` sends;
 * - `setMyCommands`, `sendChatAction` and `deleteMyCommands` (500 from the emulator) answered
 *   `true`, the calls kept in `calls`;
 * - `editMessageText` (null from the emulator) answered with the edited message, as Telegram does;
 * - getUpdates, setWebhook, deleteWebhook and getWebhookInfo as Telegram answers them: long
 *   polling with offsets, webhook deliveries with the secret and retries (see createUpdateFeed);
 * - `hold(methods)`: calls of these methods wait until `release()` (a request whose caller died
 *   meanwhile is dropped, never reaching the emulator), to stop a bot mid-update;
 * - `latency(maxMs)`: every call but getUpdates answered after a random wait up to `maxMs`, as
 *   Telegram's own answers vary (calls made in some order may then finish in another).
 * - the next `refuseHtml(n)` sends or edits in parse_mode HTML refused with Telegram's 400 for bad
 *   HTML ("can't parse entities"), as Telegram answers markup it cannot read (the emulator reads none).
 * Everything else passes through unchanged.
 */
export async function startTestTelegram(options: { botToken?: string } = {}) {
  const botToken = options.botToken ?? "123456:TEST-lodge-bot";
  const emulator = new TelegramServer({ port: freePort(), host: "127.0.0.1", storeTimeout: 600 });
  await emulator.start();
  const blocked = new Set<number>();
  const calls: { method: string; body: Record<string, unknown> }[] = [];
  let limited = 0;
  const feed = createUpdateFeed(emulator, botToken);
  const holding = new Set<string>();
  let held: (() => void)[] = [];
  let maxLatencyMs = 0;
  let refusingHtml = 0;
  const layer = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(request) {
      const url = new URL(request.url);
      const method = url.pathname.split("/").pop() ?? "";
      const raw = request.method === "POST" ? await request.arrayBuffer() : undefined;
      const body = raw ? await bodyOf(raw, request.headers.get("content-type") ?? "") : { ...Object.fromEntries(url.searchParams) };
      calls.push({ method, body });
      if (holding.has(method)) {
        await new Promise<void>((resolve) => held.push(resolve));
        if (request.signal.aborted) return new Response(null, { status: 499 });
      }
      if (maxLatencyMs > 0 && method !== "getUpdates") await Bun.sleep(Math.random() * maxLatencyMs);
      if (answeredByTheLayer.has(method)) return Response.json({ ok: true, result: true });
      if (url.pathname.startsWith(`/bot${botToken}/`)) {
        const answer = await answerUpdates(method, body, request.signal);
        if (answer) return Response.json(answer, { status: answer.ok ? 200 : answer.error_code });
      }
      if (method === "sendMessage" || method === "editMessageText") {
        if (blocked.has(Number(body.chat_id)))
          return Response.json({ ok: false, error_code: 403, description: "Forbidden: bot was blocked by the user" }, { status: 403 });
        if (limited > 0) {
          limited -= 1;
          return Response.json(
            { ok: false, error_code: 429, description: "Too Many Requests: retry after 1", parameters: { retry_after: 1 } },
            { status: 429 },
          );
        }
        if (refusingHtml > 0 && body.parse_mode === "HTML") {
          refusingHtml -= 1;
          const description = 'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 0';
          return Response.json({ ok: false, error_code: 400, description }, { status: 400 });
        }
      }
      const answer = await fetch(`${emulator.config.apiURL}${url.pathname}${url.search}`, {
        method: request.method,
        headers: request.headers,
        body: raw,
      });
      if (method !== "editMessageText") return answer;
      const edited = {
        message_id: Number(body.message_id),
        chat: { id: Number(body.chat_id), type: "private" },
        date: Math.floor(Date.now() / 1000),
        edit_date: Math.floor(Date.now() / 1000),
        text: String(body.text ?? ""),
      };
      return Response.json({ ok: true, result: edited });
    },
  });
  /** The feed's methods; undefined for the rest. */
  const answerUpdates = async (method: string, body: Record<string, unknown>, signal: AbortSignal) => {
    if (method === "getUpdates") return feed.getUpdates(body as Parameters<typeof feed.getUpdates>[0], signal);
    if (method === "setWebhook") return feed.setWebhook(body);
    if (method === "deleteWebhook") return feed.deleteWebhook(body);
    if (method === "getWebhookInfo") return feed.getWebhookInfo();
    return undefined;
  };
  return {
    botToken,
    env: { TELEGRAM_BOT_TOKEN: botToken, TELEGRAM_API_ROOT: `http://127.0.0.1:${layer.port}` },
    emulator,
    blocked,
    calls,
    rateLimit: (count: number) => {
      limited = count;
    },
    /** Telegram's side of updates: `pending()` (not yet confirmed or answered), `webhook()`, `answers` (webhook deliveries), `reachWebhookAt(origin)`. */
    feed,
    /** Holds calls of these methods (see above) until `release()`. */
    hold: (...methods: string[]) => {
      for (const method of methods) holding.add(method);
    },
    /** Answers every call but getUpdates after a random wait up to `maxMs` (0: at once). */
    latency: (maxMs: number) => {
      maxLatencyMs = maxMs;
    },
    /** How many calls are held now. */
    held: () => held.length,
    /** Lets held calls go on, and holds no more. */
    release: () => {
      holding.clear();
      for (const resume of held) resume();
      held = [];
    },
    /** The next `count` sends or edits in parse_mode HTML are refused as bad HTML. */
    refuseHtml: (count: number) => {
      refusingHtml = count;
    },
    /** A Telegram user talking to the bot (telegram-test-api's client): `sendCommand(makeCommand("/start x"))`, `getUpdates()`. */
    client: (clientOptions: Parameters<TelegramServer["getClient"]>[1] = {}) => emulator.getClient(botToken, { timeout: 5000, ...clientOptions }),
    /** The messages the bot sent to a chat, as the emulator stored them (edits applied), each with its `message_id`. */
    to: (chatId: number) =>
      emulator.storage.botMessages
        .filter((update) => Number(update.message.chat_id) === chatId)
        .map((update) => ({ ...update.message, message_id: update.messageId })),
    stop: async () => {
      feed.stop();
      layer.stop(true);
      await emulator.stop();
    },
  };
}

export type TestTelegram = Awaited<ReturnType<typeof startTestTelegram>>;

/** A Bot API request's parameters (JSON or form-encoded, as grammY sends them). */
async function bodyOf(raw: ArrayBuffer, type: string): Promise<Record<string, unknown>> {
  const request = new Response(raw, { headers: { "content-type": type } });
  if (type.includes("application/json")) return (await request.json().catch(() => ({}))) as Record<string, unknown>;
  if (type.includes("form")) return Object.fromEntries((await request.formData().catch(() => new FormData())).entries());
  return {};
}
