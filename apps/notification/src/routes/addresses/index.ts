import { createRouter } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { registerDeviceHandler, registerDeviceRoute } from "./device-register";
import { removeDeviceHandler, removeDeviceRoute } from "./device-remove";
import { subscribe, subscribeRoute } from "./push-subscribe";
import { unsubscribe, unsubscribeRoute } from "./push-unsubscribe";
import { vapidKey, vapidKeyRoute } from "./vapid-public-key";

/** Where a user's push notifications go: browsers (web push) and phones (FCM). Mounted before /notifications/{id}. */
export function addressRoutes(deps: NotificationDeps) {
  const middleware = deps.guard.requireUser();
  const router = createRouter();
  router.openapi({ ...vapidKeyRoute, middleware }, vapidKey(deps));
  router.openapi({ ...subscribeRoute, middleware }, subscribe(deps));
  router.openapi({ ...unsubscribeRoute, middleware }, unsubscribe(deps));
  router.openapi({ ...registerDeviceRoute, middleware }, registerDeviceHandler(deps));
  router.openapi({ ...removeDeviceRoute, middleware }, removeDeviceHandler(deps));
  return router;
}
