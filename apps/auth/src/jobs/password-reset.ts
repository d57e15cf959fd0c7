import { createQueue, createWorker, defaultJobOptions, type JobsConnection } from "@lodge/jobs";
import type { AuthDeps } from "../deps";
import { sendPasswordReset } from "../services/send-password-reset";

const QUEUE = "auth-password-reset";

export type PasswordResetJob = { email: string; requestId?: string };

/** Where POST /auth/password/forgot leaves its request: the same work on the HTTP path whether or not the account exists. */
export function createPasswordResetQueue(connection: JobsConnection) {
  // An email address is personal data: gone once handled, failures kept a day for diagnosis.
  return createQueue<PasswordResetJob>(QUEUE, connection, {
    defaultJobOptions: { ...defaultJobOptions, removeOnComplete: true, removeOnFail: { age: 24 * 3600 } },
  });
}

/** Looks the account up and issues its token off the request path. */
export function startPasswordResetWorker(deps: AuthDeps, prefix: string) {
  const worker = createWorker<PasswordResetJob>(
    QUEUE,
    async (job) => {
      const { email, requestId } = job.data;
      await sendPasswordReset({ ctx: { deps, requestId, logger: deps.logger.child({ requestId }) }, input: { email } });
    },
    { redis: deps.redis, prefix, logger: deps.logger, registry: deps.metrics.registry },
  );
  return { close: () => worker.close() };
}
