import { createRouter } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { authGuard } from "../guard";
import { requestVerification, requestVerificationRoute } from "./request-verification";
import { verify, verifyEmailRoute } from "./verify";

export function emailRoutes(deps: AuthDeps) {
  const { requireUser } = authGuard(deps);
  const router = createRouter();
  router.openapi({ ...requestVerificationRoute, middleware: requireUser() }, requestVerification(deps));
  router.openapi(verifyEmailRoute, verify(deps));
  return router;
}
