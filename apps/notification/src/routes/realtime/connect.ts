import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { ApiError, type AppEnv, ctxOf, errorResponses, upgradeWebSocket } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { realtimeSocket } from "../../realtime/socket";
import { redeemTicket } from "../../realtime/tickets";

const Ticket = z.object({
  ticket: z
    .string()
    .max(128)
    .optional()
    .openapi({ param: { name: "ticket", in: "query" }, description: "From POST /notifications/realtime/ticket" }),
});

export const connectRoute = createRoute({
  method: "get",
  path: "/notifications/realtime",
  tags: ["realtime"],
  summary: "The realtime WebSocket (messages and close codes: see the README)",
  request: { query: Ticket },
  responses: { 101: { description: "Switched to the WebSocket protocol" }, ...errorResponses(401, 403) },
  description:
    "Open with `?ticket=` from POST /notifications/realtime/ticket (single use, 30 s). An unknown, used or expired ticket is refused with 401 before the upgrade.",
});

const refused = () => new ApiError({ code: "UNAUTHORIZED", message: "Unknown, used or expired ticket" });

export const connect =
  (deps: NotificationDeps): RouteHandler<typeof connectRoute, AppEnv> =>
  async (c) => {
    const ctx = ctxOf(c, deps);
    const { ticket } = c.req.valid("query");
    const holder = ticket ? await redeemTicket({ ctx, input: { ticket } }) : undefined;
    if (!holder || deps.revocations?.isRevoked(holder.sessionId)) throw refused();
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") throw new ApiError({ code: "VALIDATION_FAILED", message: "Expected a WebSocket upgrade" });
    // Bun refuses an upgrade request it cannot complete (no Sec-WebSocket-Key): the client's mistake.
    const upgraded = await upgradeWebSocket(c, realtimeSocket(deps, holder)).catch(() => undefined);
    if (!upgraded) throw new ApiError({ code: "VALIDATION_FAILED", message: "Not a valid WebSocket upgrade request" });
    return upgraded as never;
  };
