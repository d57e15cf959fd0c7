import { createRouter } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { list, listSessionsRoute } from "./list";
import { revoke, revokeSessionRoute } from "./revoke";
import { revokeOthers, revokeOthersRoute } from "./revoke-others";

export function sessionRoutes(deps: AuthDeps) {
  const { requireUser } = deps.guard;
  const router = createRouter();
  const middleware = requireUser();
  router.openapi({ ...listSessionsRoute, middleware }, list(deps));
  router.openapi({ ...revokeSessionRoute, middleware }, revoke(deps));
  router.openapi({ ...revokeOthersRoute, middleware }, revokeOthers(deps));
  return router;
}
