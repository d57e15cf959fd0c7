import { createRouter } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { confirmUnsubscribe, confirmUnsubscribeRoute, limitOneClickBody } from "./confirm";
import { showUnsubscribe, showUnsubscribeRoute } from "./show";

/** The one-click POST carries a form, not JSON: the kit's JSON-only check lets it through, and the route limits its size. */
export const oneClickBody = ({ method, path }: { method: string; path: string }) => method === "POST" && path === confirmUnsubscribeRoute.path;

/** Public: the signed token in the link is the authorization. */
export function unsubscribeRoutes(deps: NotificationDeps) {
  const router = createRouter();
  router.openapi(showUnsubscribeRoute, showUnsubscribe(deps));
  router.openapi({ ...confirmUnsubscribeRoute, middleware: limitOneClickBody }, confirmUnsubscribe(deps));
  return router;
}
