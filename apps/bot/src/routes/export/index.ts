import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, createRouter, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { BotDeps } from "../../deps";
import { exportUser } from "../../services/export-user";

export const exportUserRoute = createRoute({
  method: "get",
  path: "/bot/export/{userId}",
  tags: ["internal"],
  summary: "A user's Telegram link and bot conversation for the GDPR export (service clients with bot:export)",
  security: [{ bearer: [] }],
  request: { params: z.object({ userId: z.uuid() }) },
  responses: {
    200: jsonResponse(
      z.object({
        userId: z.uuid(),
        telegram: z.object({ chatId: z.number().int(), username: z.string().nullable(), languageCode: z.string().nullable(), linkedAt: z.string() }).nullable(),
        conversation: z.array(z.object({ role: z.enum(["user", "assistant"]), content: z.string() })),
      }),
      "Everything the bot service holds about the user",
    ),
    ...errorResponses(400, 401, 403),
  },
});

const exportUserData =
  (deps: BotDeps): RouteHandler<typeof exportUserRoute, AppEnv> =>
  async (c) =>
    c.json(await exportUser({ ctx: ctxOf(c, deps), input: { userId: c.req.valid("param").userId } }), 200);

/** The user service's fetch of the bot service's part of a user's export. */
export function exportRoutes(deps: BotDeps) {
  const router = createRouter();
  router.openapi({ ...exportUserRoute, middleware: deps.guard.requireScope("bot:export") }, exportUserData(deps));
  return router;
}
