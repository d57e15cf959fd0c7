import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { botLinks } from "@lodge/db/schema";
import { type AppEnv, errorResponses, jsonResponse, userOf } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { BotDeps } from "../../deps";
import { bearer, LinkState } from "../schemas";

export const getLinkRoute = createRoute({
  method: "get",
  path: "/bot/link",
  tags: ["link"],
  summary: "Whether your account is linked to a Telegram chat, and which",
  security: bearer,
  responses: { 200: jsonResponse(LinkState, "The link"), ...errorResponses(401, 403) },
});

export const get =
  (deps: BotDeps): RouteHandler<typeof getLinkRoute, AppEnv> =>
  async (c) => {
    const [link] = await deps.db
      .select()
      .from(botLinks)
      .where(eq(botLinks.userId, userOf(c).userId));
    return c.json(
      {
        linked: link !== undefined,
        chatId: link?.chatId ?? null,
        username: link?.username ?? null,
        linkedAt: link?.createdAt.toISOString() ?? null,
      },
      200,
    );
  };
