import TelegramServer from "telegram-test-api";

/** A port nothing listens on now (telegram-test-api takes a port, not 0). */
function freePort(): number {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port as number;
  probe.stop(true);
  return port;
}

/**
 * The Bot API as bots see it: `telegram-test-api` (a real Bot API emulator) keeps what the bot
 * sends, behind a thin layer answering what the emulator cannot: a 403 for chats that blocked the
 * bot and a 429 with `retry_after` (as Telegram's flood control does) for the next `rateLimit(n)`
 * sends. Everything else passes through unchanged.
 */
export async function startTestTelegram() {
  const emulator = new TelegramServer({ port: freePort(), host: "127.0.0.1", storeTimeout: 600 });
  await emulator.start();
  const blocked = new Set<number>();
  let limited = 0;
  const layer = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const url = new URL(request.url);
      if (url.pathname.endsWith("/sendMessage")) {
        const body = (await request.clone().json()) as { chat_id: number };
        if (blocked.has(Number(body.chat_id)))
          return Response.json({ ok: false, error_code: 403, description: "Forbidden: bot was blocked by the user" }, { status: 403 });
        if (limited > 0) {
          limited -= 1;
          return Response.json(
            { ok: false, error_code: 429, description: "Too Many Requests: retry after 1", parameters: { retry_after: 1 } },
            { status: 429 },
          );
        }
      }
      return fetch(`${emulator.config.apiURL}${url.pathname}${url.search}`, {
        method: request.method,
        headers: request.headers,
        body: await request.arrayBuffer(),
      });
    },
  });
  const botToken = "123456:TEST-notification-bot";
  return {
    env: { TELEGRAM_BOT_TOKEN: botToken, TELEGRAM_API_ROOT: `http://127.0.0.1:${layer.port}` },
    blocked,
    rateLimit: (count: number) => {
      limited = count;
    },
    /** The messages the bot sent to a chat, as the emulator stored them. */
    to: (chatId: number) => emulator.storage.botMessages.filter((update) => Number(update.message.chat_id) === chatId).map((update) => update.message),
    stop: async () => {
      layer.stop(true);
      await emulator.stop();
    },
  };
}
