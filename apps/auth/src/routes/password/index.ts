import { createRouter } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { change, changePasswordRoute } from "./change";
import { forgot, forgotPasswordRoute } from "./forgot";
import { reset, resetPasswordRoute } from "./reset";

export function passwordRoutes(deps: AuthDeps) {
  const { requireUser } = deps.guard;
  const router = createRouter();
  router.openapi({ ...changePasswordRoute, middleware: requireUser() }, change(deps));
  router.openapi(forgotPasswordRoute, forgot(deps));
  router.openapi(resetPasswordRoute, reset(deps));
  return router;
}
