import { createRouter } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { connect, connectRoute } from "./connect";
import { ticket, ticketRoute } from "./ticket";

/** The realtime socket and its tickets. */
export function realtimeRoutes(deps: NotificationDeps) {
  const router = createRouter();
  router.openapi({ ...ticketRoute, middleware: deps.guard.requireUser() }, ticket(deps));
  // Authenticated by its ticket: a browser cannot send a bearer header on a WebSocket.
  router.openapi(connectRoute, connect(deps));
  return router;
}
