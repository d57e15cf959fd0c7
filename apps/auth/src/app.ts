import { createServiceApp } from "@lodge/kit";
import type { AuthDeps } from "./deps";
import { authRoutes } from "./routes/auth/index";
import { emailRoutes } from "./routes/email/index";
import { passwordRoutes } from "./routes/password/index";
import { sessionRoutes } from "./routes/sessions/index";
import { userRoutes } from "./routes/users/index";
import { wellKnownRoutes } from "./routes/well-known/index";

export function createAuthApp(deps: AuthDeps) {
  const app = createServiceApp(deps, {
    service: "auth",
    openApi: { prefix: "/auth", title: "Lodge auth", description: "Accounts, sessions and tokens." },
  });
  app.route("/", authRoutes(deps));
  app.route("/", sessionRoutes(deps));
  app.route("/", passwordRoutes(deps));
  app.route("/", emailRoutes(deps));
  app.route("/", userRoutes(deps));
  app.route("/", wellKnownRoutes(deps));
  return app;
}
