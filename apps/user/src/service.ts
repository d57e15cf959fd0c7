import { userOutbox } from "@lodge/db/schema";
import { connectToServices, defineService, type StartOptions, startService } from "@lodge/kit";
import { userConfigFromEnv } from "./config";
import type { UserDeps } from "./deps";
import { type UserEnv, userEnv } from "./env";
import { consumers } from "./events/index";
import { meRoutes } from "./routes/me/index";
import { preferencesRoutes } from "./routes/preferences/index";
import { usersRoutes } from "./routes/users/index";

export type UserServiceOptions = StartOptions<UserEnv>;

export const userService = defineService<UserEnv, UserDeps>({
  name: "user",
  env: userEnv,
  openApi: { prefix: "/users", title: "Lodge users", description: "Profiles, preferences, account deletion and data export." },
  outbox: userOutbox,
  tokens: "jwks",
  build: async (base, { env }) => {
    const config = userConfigFromEnv(env);
    const remote = connectToServices({
      urls: {
        auth: config.authUrl,
        file: config.fileUrl,
        notification: config.notificationUrl,
        ai: config.aiUrl,
        analytics: config.analyticsUrl,
        bot: config.botUrl,
      },
      client: config.client,
      timeoutMs: config.remoteTimeoutMs,
      logger: base.logger,
      clock: base.clock,
    });
    return { remote, config };
  },
  // /users/me before /users/{id}, which would shadow it.
  routes: (deps) => [meRoutes(deps), preferencesRoutes(deps), usersRoutes(deps)],
  consumers,
});

/** Builds every dependency once, starts the event consumers and the outbox relay, and returns the app, its deps and a close(). */
export const startUserService = (options: UserServiceOptions) => startService(userService, options);
