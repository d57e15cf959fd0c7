import type { Logger, ServiceBase } from "@lodge/kit";
import type { AuthConfig } from "./config";
import type { KeyStore } from "./helpers/keys";
import type { Sealer } from "./helpers/sealing";
import type { createPasswordResetQueue } from "./jobs/password-reset";
import type { Reads } from "./reads";

/** The foundation's shared parts (`ServiceBase`) plus this service's own; built once at boot (main.ts, the dev server, or a test) and passed to createApp. */
export type AuthDeps = ServiceBase & {
  keys: KeyStore;
  /** Seals what must be readable at rest (private keys, a rotated session's live refresh token). */
  sealer: Sealer;
  config: AuthConfig;
  /** The hot paths' prepared statement and batched reader (see createReads). */
  reads: Reads;
  /** Verified against for unknown emails, so a login costs the same whether or not the account exists. */
  dummyPasswordHash: string;
  /** Password-reset requests waiting for their token (see requestPasswordReset). */
  passwordResets: ReturnType<typeof createPasswordResetQueue>;
};

/** What a service function gets: the deps plus who is asking. */
export type Ctx = { deps: AuthDeps; requestId?: string; ip?: string; userAgent?: string; logger: Logger };
