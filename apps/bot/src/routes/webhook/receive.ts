import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { ApiError, type AppEnv, errorResponses, isSameSecret, jsonBody, jsonResponse } from "@lodge/kit";
import type { Update } from "grammy/types";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { BotDeps } from "../../deps";

/** A Telegram update is a few kB; a reply quoting a long message, some tens. Far above that is not Telegram. */
export const UPDATE_BODY_LIMIT_BYTES = 1024 * 1024;
export const SECRET_HEADER = "x-telegram-bot-api-secret-token";

const TelegramUpdate = z
  .looseObject({
    update_id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).openapi({ description: "Telegram's id of the update (a repeated one is queued once)" }),
  })
  .openapi("TelegramUpdate", { description: "An Update of the Bot API (https://core.telegram.org/bots/api#update): its update_id and one field of its type" });

export const receiveUpdateRoute = createRoute({
  method: "post",
  path: "/bot/webhook",
  tags: ["webhook"],
  summary: "Telegram's webhook: an update, queued for the bot's workers",
  description:
    "Only Telegram calls it (registered by `bun run --cwd apps/bot webhook:set` with BOT_WEBHOOK_SECRET, which Telegram sends back in X-Telegram-Bot-Api-Secret-Token). Answered 200 once the update is durably queued (a repeated update_id is queued once; a type the bot does not handle is dropped), before the bot runs it. 404 when this instance polls Telegram instead (BOT_WEBHOOK_URL unset) or has no bot (TELEGRAM_BOT_TOKEN unset). 503 when the queue (Redis) is unreachable: Telegram delivers the update again later.",
  request: {
    headers: z.object({ [SECRET_HEADER]: z.string().optional().openapi({ description: "BOT_WEBHOOK_SECRET, as registered with setWebhook" }) }),
    body: jsonBody(TelegramUpdate),
  },
  responses: {
    200: jsonResponse(
      z
        .object({ outcome: z.enum(["queued", "duplicate", "ignored"]).openapi({ description: "ignored: a type the bot does not handle" }) })
        .openapi("WebhookAnswer"),
      "Queued (or queued before, or dropped on purpose): Telegram does not send it again",
    ),
    ...errorResponses(401, 403, 404),
  },
});

/** Refuses calls when this instance takes no webhook (before the secret: with none set, there is nothing to check against). */
export const webhookOn =
  (deps: BotDeps): MiddlewareHandler<AppEnv> =>
  async (_c, next) => {
    if (!deps.telegram) throw new ApiError({ code: "NOT_FOUND", message: "The Telegram bot is off here (TELEGRAM_BOT_TOKEN is unset)" });
    if (deps.updates?.mode !== "webhook")
      throw new ApiError({ code: "NOT_FOUND", message: "No webhook here: this bot polls Telegram for updates (BOT_WEBHOOK_URL is unset)" });
    await next();
  };

/** Telegram's secret header, compared in constant time: 401 without it, 403 when it is wrong. */
export const telegramSecret =
  (deps: BotDeps): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const given = c.req.header(SECRET_HEADER);
    if (!given) throw new ApiError({ code: "UNAUTHORIZED", message: "The X-Telegram-Bot-Api-Secret-Token header is missing" });
    if (!isSameSecret(given, deps.env.BOT_WEBHOOK_SECRET ?? "")) throw new ApiError({ code: "FORBIDDEN", message: "Wrong secret token" });
    await next();
  };

/** The webhook reads its own body (the app-wide limit is for the JSON routes): up to UPDATE_BODY_LIMIT_BYTES, chunked or not. */
export const limitUpdateBody = bodyLimit({
  maxSize: UPDATE_BODY_LIMIT_BYTES,
  onError: () => {
    throw new ApiError({ code: "PAYLOAD_TOO_LARGE", message: `Body is larger than ${UPDATE_BODY_LIMIT_BYTES} bytes` });
  },
});

/** Whether a request is Telegram's webhook call (its body is limited by the route, not app-wide). */
export const isWebhookCall = ({ method, path }: { method: string; path: string }) => method === "POST" && path === "/bot/webhook";

export const receive =
  (deps: BotDeps): RouteHandler<typeof receiveUpdateRoute, AppEnv> =>
  async (c) => {
    const update = c.req.valid("json") as Update;
    const outcome = await (deps.updates as NonNullable<BotDeps["updates"]>).accept(update);
    return c.json({ outcome }, 200);
  };
