import type { Envelope } from "@lodge/events";
import type { AuthDeps } from "../deps";
import { eraseUser } from "../services/erase-user";

/** Account deletion: erase what auth holds about the user and acknowledge with `user.data_erased`. */
export const onDeletionRequested = (deps: AuthDeps) => async (event: Envelope<"user.deletion_requested">) => {
  const logger = deps.logger.child({ eventId: event.id, requestId: event.requestId });
  await eraseUser({ ctx: { deps, logger, requestId: event.requestId }, input: { userId: event.data.userId } });
};
