import { createRouter } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { login, loginRoute } from "./login";
import { logout, logoutRoute } from "./logout";
import { me, meRoute } from "./me";
import { refresh, refreshRoute } from "./refresh";
import { register, registerRoute } from "./register";
import { token, tokenRoute } from "./token";

export function authRoutes(deps: AuthDeps) {
  const { requireUser } = deps.guard;
  const router = createRouter();
  router.openapi(registerRoute, register(deps));
  router.openapi(loginRoute, login(deps));
  router.openapi(refreshRoute, refresh(deps));
  router.openapi(logoutRoute, logout(deps));
  router.openapi({ ...meRoute, middleware: requireUser() }, me(deps));
  router.openapi(tokenRoute, token(deps));
  return router;
}
