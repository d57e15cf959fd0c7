import type { Consumers } from "@lodge/kit";
import type { FileDeps } from "../deps";
import { eraseUser } from "../services/erase-user";
import { queueProcessing } from "../services/queue-processing";

/** What the file service consumes (consumer group "file"): account deletions, and its own uploads to queue their thumbnails. */
export const consumers: Consumers<FileDeps> = {
  "user.deletion_requested": async (event, ctx) => {
    const erased = await eraseUser({ ctx, input: { userId: event.data.userId } });
    ctx.logger.info({ userId: event.data.userId, ...erased }, "user's files erased");
  },
  "file.uploaded": (event, ctx) => queueProcessing({ ctx, input: { fileId: event.data.fileId } }),
};
