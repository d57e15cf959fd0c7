import { createRouter } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { requestVerification, requestVerificationRoute } from "./request-verification";
import { verify, verifyEmailRoute } from "./verify";

export function emailRoutes(deps: AuthDeps) {
  const { requireUser } = deps.guard;
  const router = createRouter();
  router.openapi({ ...requestVerificationRoute, middleware: requireUser() }, requestVerification(deps));
  router.openapi(verifyEmailRoute, verify(deps));
  return router;
}
