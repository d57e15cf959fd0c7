import type { Database } from "@lodge/db";
import { userOutbox } from "@lodge/db/schema";
import { connectToServices, type Logger, openFoundation, type Redis, remoteKeys } from "@lodge/kit";
import { createUserApp } from "./app";
import { userConfigFromEnv } from "./config";
import type { UserDeps } from "./deps";
import type { UserEnv } from "./env";
import { subscribeToEvents } from "./events/index";

export type UserServiceOptions = {
  env: UserEnv;
  /** Shared with other services in the dev server; otherwise opened from DATABASE_URL. */
  database?: Database;
  redis?: Redis;
  logger?: Logger;
  clock?: () => Date;
};

/** Builds every dependency once, starts the event consumers and the outbox relay, and returns the app and a close(). */
export async function startUserService(options: UserServiceOptions) {
  const { env } = options;
  const config = userConfigFromEnv(env);
  const base = await openFoundation({ ...options, service: "user", outboxTable: userOutbox });

  const deps: UserDeps = {
    ...base,
    keys: remoteKeys(env.JWKS_URL),
    remote: connectToServices({
      urls: { auth: config.authUrl, file: config.fileUrl },
      client: config.client,
      timeoutMs: config.remoteTimeoutMs,
      logger: base.logger,
      clock: base.clock,
    }),
    config,
  };
  const subscription = subscribeToEvents(deps);

  const app = createUserApp(deps);
  return {
    app,
    deps,
    lifecycle: base.lifecycle,
    /** Stops background work, then closes what this service opened (not what it was given). */
    close: async () => {
      await subscription.stop();
      await base.close();
    },
  };
}
