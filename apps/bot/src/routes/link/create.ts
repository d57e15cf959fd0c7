import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, userOf } from "@lodge/kit";
import type { BotDeps } from "../../deps";
import { createLinkToken } from "../../services/create-link-token";
import { bearer } from "../schemas";

/** Deep links one user may ask for in an hour (each replaces the last; more is a script, not a person). */
const LINKS_PER_HOUR = 30;

export const createLinkRoute = createRoute({
  method: "post",
  path: "/bot/link",
  tags: ["link"],
  summary: "A deep link that links the Telegram chat opening it to your account",
  description:
    "Open the URL in Telegram and press Start: the bot links that private chat to you (one chat per account; linking another chat moves the link). Single use, valid for BOT_LINK_TTL_SECONDS (10 minutes); asking again replaces the previous link.",
  security: bearer,
  responses: {
    201: jsonResponse(
      z.object({
        url: z.string().openapi({ example: "https://t.me/lodge_bot?start=3q2-7wEAAAA…" }),
        expiresAt: z.string(),
      }),
      "The deep link",
    ),
    ...errorResponses(401, 403, 429, 503),
  },
});

export const create =
  (deps: BotDeps): RouteHandler<typeof createLinkRoute, AppEnv> =>
  async (c) => {
    const user = userOf(c);
    await deps.limiter.hit(`bot-link:${user.userId}`, { max: LINKS_PER_HOUR, windowSeconds: 3600 });
    return c.json(await createLinkToken({ ctx: ctxOf(c, deps), input: { userId: user.userId, role: user.role } }), 201);
  };
