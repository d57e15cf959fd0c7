import type { Queue } from "@lodge/jobs";
import type { Ctx as KitCtx, ServiceBase, WithOutbox } from "@lodge/kit";
import type { AuthConfig } from "./config";
import type { KeyStore } from "./helpers/keys";
import type { Sealer } from "./helpers/sealing";
import type { PasswordResetJob } from "./jobs/password-reset";
import type { Reads } from "./reads";

/** What the kit builds for every service, plus auth's own (see service.ts); built once at boot. */
export type AuthDeps = ServiceBase &
  WithOutbox & {
    keys: KeyStore;
    /** Seals what must be readable at rest (private keys, a rotated session's live refresh token). */
    sealer: Sealer;
    config: AuthConfig;
    /** The hot paths' prepared statement and batched reader (see createReads). */
    reads: Reads;
    /** Verified against for unknown emails, so a login costs the same whether or not the account exists. */
    dummyPasswordHash: string;
    /** Password-reset requests waiting for their token (see requestPasswordReset). */
    passwordResets: Queue<PasswordResetJob>;
  };

export type Ctx = KitCtx<AuthDeps>;
