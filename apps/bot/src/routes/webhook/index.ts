import { createRouter } from "@lodge/kit";
import type { BotDeps } from "../../deps";
import { limitUpdateBody, receive, receiveUpdateRoute, telegramSecret, webhookOn } from "./receive";

/** Telegram's webhook (BOT_WEBHOOK_URL set): the secret first, then the body. */
export function webhookRoutes(deps: BotDeps) {
  const router = createRouter();
  router.openapi({ ...receiveUpdateRoute, middleware: [webhookOn(deps), telegramSecret(deps), limitUpdateBody] }, receive(deps));
  return router;
}
