import type { Consumers } from "@lodge/kit";
import type { AiDeps } from "../deps";
import { eraseUser } from "../services/erase-user";

/** What the AI service consumes (consumer group "ai"): account deletions. */
export const consumers: Consumers<AiDeps> = {
  "user.deletion_requested": async (event, ctx) => {
    const erased = await eraseUser({ ctx, input: { userId: event.data.userId } });
    ctx.logger.info({ userId: event.data.userId, ...erased }, "user's AI keys, limits, usage and jobs erased");
  },
};
