import { createRouter } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { jwks, jwksRoute } from "./jwks";

export function wellKnownRoutes(deps: AuthDeps) {
  const router = createRouter();
  router.openapi(jwksRoute, jwks(deps));
  return router;
}
