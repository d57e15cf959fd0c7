import { authOutbox } from "@lodge/db/schema";
import { defineService, newSecretToken, type StartOptions, startService } from "@lodge/kit";
import { authConfigFromEnv } from "./config";
import type { AuthDeps } from "./deps";
import { type AuthEnv, authEnv } from "./env";
import { consumers } from "./events/index";
import { createKeyStore } from "./helpers/keys";
import { createSealer } from "./helpers/sealing";
import { hashPassword } from "./helpers/secrets";
import { jobs } from "./jobs/index";
import { createPasswordResetQueue } from "./jobs/password-reset";
import { createReads } from "./reads";
import { authRoutes } from "./routes/auth/index";
import { emailRoutes } from "./routes/email/index";
import { passwordRoutes } from "./routes/password/index";
import { sessionRoutes } from "./routes/sessions/index";
import { userRoutes } from "./routes/users/index";
import { wellKnownRoutes } from "./routes/well-known/index";
import { getCurrentSession } from "./services/get-current-session";

/** Beyond the kit's start options: run the hourly maintenance worker (off in tests that do not need it). */
export type AuthServiceOptions = StartOptions<AuthEnv> & { maintenance?: boolean };

export const authService = defineService<AuthEnv, AuthDeps, { maintenance?: boolean }>({
  name: "auth",
  env: authEnv,
  openApi: { prefix: "/auth", title: "Lodge auth", description: "Accounts, sessions and tokens." },
  outbox: authOutbox,
  // Our own key store (no JWKS round trip). Sessions are ours too: while the revocation watch is
  // behind, a token's session is read from the database rather than refusing every token with 503.
  tokens: (deps) => ({
    keys: deps.keys.verifier,
    confirmSession: async (session) => {
      await getCurrentSession({ ctx: { deps, logger: deps.logger }, input: session });
    },
  }),
  build: async (base, { env }) => {
    const config = authConfigFromEnv(env);
    const sealer = createSealer(config.keyEncryptionSecret);
    const keys = createKeyStore({
      db: base.db,
      clock: base.clock,
      publishDelaySeconds: config.keyPublishDelaySeconds,
      accessTtlSeconds: config.accessTtlSeconds,
      sealer,
    });
    await keys.ensureKey();
    return {
      keys,
      sealer,
      config,
      reads: createReads(base),
      dummyPasswordHash: await hashPassword(newSecretToken()),
      passwordResets: createPasswordResetQueue(base.jobsConnection),
    };
  },
  routes: (deps) => [authRoutes(deps), sessionRoutes(deps), passwordRoutes(deps), emailRoutes(deps), userRoutes(deps), wellKnownRoutes(deps)],
  consumers,
  jobs,
  close: (deps) => deps.keys.stop(),
});

/** Builds every dependency once, starts the background parts, and returns the app, its deps and a close(). */
export const startAuthService = (options: AuthServiceOptions) => startService(authService, options);
