import { createServiceApp } from "@lodge/kit";
import type { UserDeps } from "./deps";
import { meRoutes } from "./routes/me/index";
import { preferencesRoutes } from "./routes/preferences/index";
import { usersRoutes } from "./routes/users/index";

export function createUserApp(deps: UserDeps) {
  const app = createServiceApp(deps, {
    service: "user",
    openApi: { prefix: "/users", title: "Lodge users", description: "Profiles, preferences, account deletion and data export." },
  });
  // /users/me before /users/{id}, which would shadow it.
  app.route("/", meRoutes(deps));
  app.route("/", preferencesRoutes(deps));
  app.route("/", usersRoutes(deps));
  return app;
}
