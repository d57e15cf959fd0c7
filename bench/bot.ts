/**
 * `bun run bench:bot`: the Telegram bot's update pipeline, as ratios to baselines measured in the
 * same run on the same machine (see DESIGN.md, "Performance"):
 *   (a) webhook updates accepted per second through Caddy (the production Caddyfile): POST
 *       /bot/webhook with the secret, each a new update of a new group chat (chatter the bot reads
 *       and does not answer), answered 200 once queued in Redis while the bot's workers run them;
 *       against a bare Hono hello-world behind the same Caddy (routed as /analytics/*), sent the same
 *       body. Target ≥ 0.30. After each round the queue is left to drain (not measured).
 *   (b) updates processed per second end to end against the emulator: BOT_BENCH_UPDATES `/help`s
 *       from BOT_BENCH_CHATS chats put into telegram-test-api at once, delivered by Telegram's
 *       webhook (the kit's layer: 40 connections, a chat's updates one at a time) through Caddy to
 *       the bot, queued, run, and answered (sendMessage back to the emulator); from the first until
 *       the last answer is stored. Against the emulator's own sendMessage rate (wrk straight at the
 *       layer, 40 connections): the most the bot could get answered.
 * The bot, the hello-world and Caddy run as processes of their own; the emulator runs here.
 * Knobs (env): BENCH_SECONDS (9, measured per scenario, split over the rounds), BENCH_ROUNDS (3),
 * BENCH_WARMUP_SECONDS (3), BENCH_CONNECTIONS (32), BOT_BENCH_UPDATES (3000), BOT_BENCH_CHATS (300),
 * BENCH_DRIVER (wrk|fetch), BENCH_WRK_THREADS (1).
 */
import { createTestDatabase } from "@lodge/db/testing";
import { createTestRedis, eventually, startTestIssuer } from "@lodge/kit/testing";
import { startTestTelegram } from "@lodge/kit/testing/telegram";
import { startCaddy } from "./lib/caddy";
import { type Driver, pickDriver, runLoad, type Scenario } from "./lib/load";
import { type Child, freePort, startProcess } from "./lib/processes";
import { add, emptyTotals, printTable, rate, type Totals } from "./lib/report";
import { root, setting } from "./lib/settings";

const settings = {
  seconds: setting("BENCH_SECONDS", 9),
  rounds: Math.round(setting("BENCH_ROUNDS", 3)),
  warmup: setting("BENCH_WARMUP_SECONDS", 3),
  connections: Math.round(setting("BENCH_CONNECTIONS", 32)),
  updates: Math.round(setting("BOT_BENCH_UPDATES", 3000)),
  chats: Math.round(setting("BOT_BENCH_CHATS", 300)),
};
const driver: Driver = pickDriver(process.env.BENCH_DRIVER, setting("BENCH_WRK_THREADS", 1));
const log = (message: string) => console.error(`[bench:bot] ${message}`);
const secret = "bench-webhook-secret-0123456789abcdef";
const webhookUrl = "https://bench.lodge.test/bot/webhook";
const shards = 32;

/** A group's chatter: a handled update the bot reads (its chat's link, session, access) and does not answer. */
const chatter = {
  update_id: "{{n}}",
  message: {
    message_id: 1,
    date: 1_773_136_800,
    chat: { id: "{{n}}", type: "group", title: "Bench" },
    from: { id: 42, is_bot: false, first_name: "Ada" },
    text: "what does everyone think about lunch?",
  },
};

async function main() {
  const started = performance.now();
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const redis = await createTestRedis();
    cleanups.push(() => redis.cleanup());
    const issuer = await startTestIssuer();
    cleanups.push(async () => issuer.stop());
    const telegram = await startTestTelegram();
    cleanups.push(() => telegram.stop());

    const botPort = freePort();
    const helloPort = freePort();
    const children: Child[] = [];
    cleanups.push(() => Promise.all(children.map((child) => child.stop())));
    const [bot, hello] = await Promise.all([
      startProcess({
        name: "bot",
        cmd: [process.execPath, "run", "apps/bot/src/main.ts"],
        cwd: root,
        port: botPort,
        readyPath: "/ready",
        env: {
          ...process.env,
          NODE_ENV: "production",
          HOST: "127.0.0.1",
          PORT: String(botPort),
          LOG_LEVEL: "warn",
          DATABASE_URL: database.url,
          REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
          REDIS_PREFIX: redis.prefix,
          JWKS_URL: issuer.jwksUrl,
          BOT_WEBHOOK_URL: webhookUrl,
          BOT_WEBHOOK_SECRET: secret,
          BOT_QUEUE_SHARDS: String(shards),
          ...telegram.env,
        },
      }),
      // Evaluated with apps/bot as the working directory, so `hono` is the very copy the bot uses.
      startProcess({
        name: "hello-world",
        cmd: [
          process.execPath,
          "-e",
          `import { Hono } from "hono"; Bun.serve({ port: ${helloPort}, hostname: "127.0.0.1", fetch: new Hono().all("*", (c) => c.json({ ok: true })).fetch });`,
        ],
        cwd: `${root}apps/bot`,
        port: helloPort,
        readyPath: "/",
        env: { ...process.env },
      }),
    ]);
    children.push(bot, hello);
    const caddy = await startCaddy({ upstreams: { bot: botPort, analytics: helloPort } });
    cleanups.push(() => caddy.stop());
    // Caddy routes to an upstream once its health check (/ready, every second) has passed.
    const through = (path: string, body: unknown) =>
      fetch(`${caddy.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret },
        body: JSON.stringify(body),
      }).then(
        async (response) => {
          await response.arrayBuffer();
          return response.status;
        },
        () => 0,
      );
    const probe = (id: number) => ({ ...chatter, update_id: id, message: { ...chatter.message, chat: { ...chatter.message.chat, id } } });
    await eventually(async () => (await through("/analytics/hello", probe(1))) === 200 && (await through("/bot/webhook", probe(1))) === 200, 30_000);

    const depth = async () => {
      let sum = 0;
      for (let shard = 0; shard < shards; shard++) sum += await redis.redis.xlen(`${redis.prefix}bot:updates:${shard}`);
      return sum;
    };
    const drained = async () => {
      const waitStarted = performance.now();
      await eventually(async () => (await depth()) === 0, 600_000);
      return (performance.now() - waitStarted) / 1000;
    };

    // ---- (a) accepted per second through Caddy, against a hello-world behind the same Caddy
    const { connections, rounds } = settings;
    const totals = { hello: emptyTotals(), webhook: emptyTotals() };
    const headers = { "X-Telegram-Bot-Api-Secret-Token": secret };
    let runs = 0;
    const scenario = (path: string): Scenario => ({
      kind: "static",
      method: "POST",
      path,
      body: chatter,
      headers,
      unique: true,
      // Every run numbers its updates from a start of its own: no update id is sent twice.
      uniqueFrom: ++runs * 1e10,
    });
    for (let round = 0; round <= rounds; round++) {
      const seconds = round === 0 ? settings.warmup : settings.seconds / rounds;
      const where = round === 0 ? "warm-up" : `round ${round}/${rounds}`;
      for (const [name, path, into] of [
        ["hello-world", "/analytics/hello", totals.hello],
        ["POST /bot/webhook", "/bot/webhook", totals.webhook],
      ] as const) {
        const result = await runLoad(driver, { baseUrl: caddy.url, scenario: scenario(path), connections, seconds });
        add(into, result, round > 0);
        log(
          `${name.padEnd(18)} ${where.padEnd(11)} ${result.rps.toFixed(0).padStart(7)} req/s  ${result.errors} errors${result.firstError ? ` (${result.firstError})` : ""}`,
        );
        if (path === "/bot/webhook") log(`  the workers ran the rest of the round's updates in ${(await drained()).toFixed(1)} s more`);
      }
    }

    // ---- (b) processed end to end, against the emulator's own sendMessage rate
    const raw = emptyTotals();
    const sendMessage: Scenario = { kind: "static", method: "POST", path: `/bot${telegram.botToken}/sendMessage`, body: { chat_id: 1, text: "bench" } };
    const layer = telegram.env.TELEGRAM_API_ROOT;
    add(raw, await runLoad(driver, { baseUrl: layer, scenario: sendMessage, connections: 40, seconds: settings.warmup }), false);
    add(raw, await runLoad(driver, { baseUrl: layer, scenario: sendMessage, connections: 40, seconds: settings.seconds }), true);
    log(`emulator sendMessage  ${rate(raw).toFixed(0)} req/s`);

    await fetch(`${layer}/bot${telegram.botToken}/setWebhook`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url: webhookUrl, secret_token: secret, allowed_updates: ["message", "callback_query", "my_chat_member"] }),
    });
    telegram.feed.reachWebhookAt(caddy.url);
    let firstChat = 1_000_000;
    const answered = (from: number, to: number) =>
      telegram.emulator.storage.botMessages.filter((update) => {
        const chatId = Number(update.message.chat_id);
        return chatId >= from && chatId < to;
      }).length;
    const endToEnd = async (updates: number, chats: number) => {
      const from = firstChat;
      firstChat += chats;
      const people = Array.from({ length: chats }, (_, index) => telegram.client({ chatId: from + index, userId: from + index }));
      const begun = performance.now();
      for (let index = 0; index < updates; index++) {
        const person = people[index % chats] as (typeof people)[number];
        await telegram.emulator.addUserCommand(person.makeCommand("/help"));
      }
      await eventually(() => answered(from, from + chats) >= updates, 600_000);
      return { seconds: (performance.now() - begun) / 1000, updates };
    };
    const warm = await endToEnd(Math.min(300, settings.updates), Math.min(30, settings.chats));
    log(`end to end warm-up: ${warm.updates} updates in ${warm.seconds.toFixed(1)} s`);
    const measured = await endToEnd(settings.updates, settings.chats);
    const processed: Totals = {
      ...emptyTotals(),
      ok: measured.updates,
      seconds: measured.seconds,
      rounds: [measured.updates / measured.seconds],
      p50Ms: [Number.NaN],
      p99Ms: [Number.NaN],
    };
    const failures = telegram.feed.answers.filter((answer) => answer.status !== 200).length;
    log(
      `end to end: ${measured.updates} updates from ${settings.chats} chats in ${measured.seconds.toFixed(1)} s; webhook deliveries not answered 200: ${failures}`,
    );

    const ratioOf = (value: Totals, of: Totals) => rate(value) / rate(of);
    const driverName = driver.kind === "wrk" ? `wrk (${driver.threads} thread${driver.threads > 1 ? "s" : ""})` : "fetch loops";
    console.log(
      `\nBot bench: ${driverName}; ${connections} connections; ${settings.warmup} s warm-up, then ${settings.seconds} s measured per scenario in ${rounds} interleaved rounds; ` +
        `${navigator.hardwareConcurrency} cores, Bun ${Bun.version}\n`,
    );
    printTable([
      { name: "hello-world via Caddy", totals: totals.hello, ratio: 1, of: "baseline", target: "" },
      {
        name: "POST /bot/webhook via Caddy",
        totals: totals.webhook,
        ratio: ratioOf(totals.webhook, totals.hello),
        of: "hello",
        target: ">= 0.30",
        pass: ratioOf(totals.webhook, totals.hello) >= 0.3,
      },
      { name: "emulator sendMessage (40 conn.)", totals: raw, ratio: 1, of: "baseline", target: "" },
      { name: "updates processed end to end", totals: processed, ratio: ratioOf(processed, raw), of: "sendMessage", target: "" },
    ]);
    console.log(`\np50: mean over rounds; p99: worst round. Bench took ${((performance.now() - started) / 1000).toFixed(0)} s.`);
    return totals.hello.errors + totals.webhook.errors + raw.errors === 0;
  } finally {
    for (const step of cleanups.reverse()) await step().catch((error) => console.error("cleanup:", error instanceof Error ? error.message : error));
  }
}

let clean = false;
try {
  clean = await main();
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
}
process.exit(clean ? 0 : 1);
