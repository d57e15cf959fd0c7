import { createQueue, defaultJobOptions, type JobsConnection } from "@lodge/jobs";
import type { JobDefinition } from "@lodge/kit";
import type { AuthDeps } from "../deps";
import { sendPasswordReset } from "../services/send-password-reset";

export type PasswordResetJob = { email: string; requestId?: string };

/** Where POST /auth/password/forgot leaves its request: the same work on the HTTP path whether or not the account exists. */
export function createPasswordResetQueue(connection: JobsConnection) {
  // An email address is personal data: gone once handled, failures kept a day for diagnosis.
  return createQueue<PasswordResetJob>("auth-password-reset", connection, {
    defaultJobOptions: { ...defaultJobOptions, removeOnComplete: true, removeOnFail: { age: 24 * 3600 } },
  });
}

/** Looks the account up and issues its token off the request path. */
export const passwordResetJob = (deps: AuthDeps): JobDefinition<AuthDeps, PasswordResetJob> => ({
  queue: deps.passwordResets,
  process: (job, ctx) => sendPasswordReset({ ctx, input: { email: job.data.email } }),
});
