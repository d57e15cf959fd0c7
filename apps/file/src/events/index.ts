import type { FileDeps } from "../deps";
import { eraseUser } from "../services/erase-user";

/** What the file service consumes (consumer group "file"): account deletions, and its own uploads to queue their thumbnails. */
export function consumeEvents(deps: FileDeps) {
  return deps.bus.subscribe({
    group: "file",
    handlers: {
      "user.deletion_requested": async (event) => {
        const logger = deps.logger.child({ eventId: event.id, requestId: event.requestId });
        const erased = await eraseUser({ ctx: { deps, logger, requestId: event.requestId }, input: { userId: event.data.userId } });
        logger.info({ userId: event.data.userId, ...erased }, "user's files erased");
      },
      "file.uploaded": async (event) => {
        await deps.enqueueProcessing?.(event.data.fileId);
      },
    },
  });
}
