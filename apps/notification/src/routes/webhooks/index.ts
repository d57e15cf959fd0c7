import { createRouter } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { create, createWebhookRoute } from "./create";
import { deleteWebhookRoute, remove } from "./delete";
import { deliveries, deliveriesRoute } from "./deliveries";
import { get, getWebhookRoute } from "./get";
import { list, listWebhooksRoute } from "./list";
import { retryDelivery, retryDeliveryRoute } from "./retry-delivery";
import { rotateSecret, rotateSecretRoute } from "./rotate-secret";
import { update, updateWebhookRoute } from "./update";

/** Outbound webhook endpoints, their delivery logs and secrets: admins only. */
export function webhookRoutes(deps: NotificationDeps) {
  const middleware = deps.guard.requireAdmin();
  const router = createRouter();
  router.openapi({ ...createWebhookRoute, middleware }, create(deps));
  router.openapi({ ...listWebhooksRoute, middleware }, list(deps));
  router.openapi({ ...getWebhookRoute, middleware }, get(deps));
  router.openapi({ ...updateWebhookRoute, middleware }, update(deps));
  router.openapi({ ...deleteWebhookRoute, middleware }, remove(deps));
  router.openapi({ ...rotateSecretRoute, middleware }, rotateSecret(deps));
  router.openapi({ ...deliveriesRoute, middleware }, deliveries(deps));
  router.openapi({ ...retryDeliveryRoute, middleware }, retryDelivery(deps));
  return router;
}
