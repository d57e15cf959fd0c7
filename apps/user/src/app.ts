import { createApp, mountOpenApi, mountOperations } from "@lodge/kit";
import type { UserDeps } from "./deps";
import { meRoutes } from "./routes/me/index";
import { preferencesRoutes } from "./routes/preferences/index";
import { usersRoutes } from "./routes/users/index";

export function createUserApp(deps: UserDeps) {
  const app = createApp({
    service: "user",
    logger: deps.logger,
    metrics: deps.metrics,
    corsOrigins: deps.config.corsOrigins,
    trustedProxies: deps.trustedProxies,
    bodyLimitBytes: deps.bodyLimitBytes,
  });
  mountOperations(app, { metrics: deps.metrics, checks: deps.checks, isDraining: deps.isDraining });
  // Before the routes: /users/{id} would otherwise answer /users/openapi.json (the document is built per request, so it lists them all).
  mountOpenApi(app, { prefix: "/users", title: "Lodge users", description: "Profiles, preferences, account deletion and data export." });
  // /users/me before /users/{id}, which would shadow it.
  app.route("/", meRoutes(deps));
  app.route("/", preferencesRoutes(deps));
  app.route("/", usersRoutes(deps));
  return app;
}
