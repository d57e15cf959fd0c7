import { createRouter } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { listDeliveriesHandler, listDeliveriesRoute, retryDeliveryHandler, retryDeliveryRoute } from "./deliveries";

/** Admins' view of deliveries: the failed ones, and a retry. */
export function adminRoutes(deps: NotificationDeps) {
  const middleware = deps.guard.requireAdmin();
  const router = createRouter();
  router.openapi({ ...listDeliveriesRoute, middleware }, listDeliveriesHandler(deps));
  router.openapi({ ...retryDeliveryRoute, middleware }, retryDeliveryHandler(deps));
  return router;
}
