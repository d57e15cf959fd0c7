import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, userOf } from "@lodge/kit";
import type { BotDeps } from "../../deps";
import { unlinkChat } from "../../services/unlink-chat";
import { bearer } from "../schemas";

export const deleteLinkRoute = createRoute({
  method: "delete",
  path: "/bot/link",
  tags: ["link"],
  summary: "Unlink your Telegram chat (nothing to do when none is linked)",
  security: bearer,
  responses: { 204: { description: "Unlinked (or was not linked)" }, ...errorResponses(401, 403) },
});

export const remove =
  (deps: BotDeps): RouteHandler<typeof deleteLinkRoute, AppEnv> =>
  async (c) => {
    await unlinkChat({ ctx: ctxOf(c, deps), input: { userId: userOf(c).userId, reason: "unlinked" } });
    return c.body(null, 204);
  };
