/**
 * `bun run --cwd apps/bot webhook:set` registers BOT_WEBHOOK_URL with Telegram (setWebhook) with
 * BOT_WEBHOOK_SECRET as its secret_token and the update types the bot handles; pending updates are
 * kept (Telegram delivers them to the webhook). `webhook:delete` removes it (back to long
 * polling, pending updates kept); `webhook:info` shows what Telegram has. Each prints what it did.
 * Reads TELEGRAM_BOT_TOKEN, TELEGRAM_API_ROOT, BOT_WEBHOOK_URL and BOT_WEBHOOK_SECRET from the
 * environment (as the service does).
 */
import { loadEnv, z } from "@lodge/config";
import { Api } from "grammy";
import { botEnv } from "../src/env";
import { handledUpdateTypes } from "../src/updates/index";

const { shape } = botEnv;
const env = loadEnv(
  z
    .object({
      TELEGRAM_BOT_TOKEN: shape.TELEGRAM_BOT_TOKEN,
      TELEGRAM_API_ROOT: shape.TELEGRAM_API_ROOT,
      BOT_WEBHOOK_URL: shape.BOT_WEBHOOK_URL,
      BOT_WEBHOOK_SECRET: shape.BOT_WEBHOOK_SECRET,
    })
    .refine((values) => values.TELEGRAM_BOT_TOKEN, {
      message: "TELEGRAM_BOT_TOKEN is required (the bot's token from @BotFather)",
      path: ["TELEGRAM_BOT_TOKEN"],
    }),
);
const api = new Api(env.TELEGRAM_BOT_TOKEN as string, { apiRoot: env.TELEGRAM_API_ROOT });
const command = process.argv[2] ?? "set";

async function showInfo() {
  const info = await api.getWebhookInfo();
  console.log(`Telegram's webhook: ${info.url || "(none: the bot polls with getUpdates)"}`);
  if (info.url) {
    console.log(`  allowed updates: ${info.allowed_updates?.join(", ") ?? "(Telegram's default)"}; max connections: ${info.max_connections ?? "-"}`);
  }
  console.log(`  updates waiting at Telegram: ${info.pending_update_count}`);
  if (info.last_error_message) console.log(`  last delivery error: ${info.last_error_message} (${new Date((info.last_error_date ?? 0) * 1000).toISOString()})`);
}

if (command === "set") {
  if (!env.BOT_WEBHOOK_URL || !env.BOT_WEBHOOK_SECRET) {
    console.error("BOT_WEBHOOK_URL (https://<domain>/bot/webhook) and BOT_WEBHOOK_SECRET are required to set the webhook");
    process.exit(1);
  }
  await api.setWebhook(env.BOT_WEBHOOK_URL, { secret_token: env.BOT_WEBHOOK_SECRET, allowed_updates: [...handledUpdateTypes], drop_pending_updates: false });
  console.log(`setWebhook: ${env.BOT_WEBHOOK_URL} with the secret token, allowed updates ${handledUpdateTypes.join(", ")}, pending updates kept`);
  await showInfo();
} else if (command === "delete") {
  await api.deleteWebhook({ drop_pending_updates: false });
  console.log("deleteWebhook: Telegram keeps the updates for getUpdates (long polling; unset BOT_WEBHOOK_URL on the service)");
  await showInfo();
} else if (command === "info") {
  await showInfo();
} else {
  console.error(`usage: webhook-set.ts [set|delete|info] (got ${command})`);
  process.exit(1);
}
