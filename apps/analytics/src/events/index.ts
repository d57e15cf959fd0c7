import type { Consumers } from "@lodge/kit";
import type { AnalyticsDeps } from "../deps";
import { eraseUser } from "../services/erase-user";

/** What the analytics service consumes (consumer group "analytics"): account deletions. */
export const consumers: Consumers<AnalyticsDeps> = {
  "user.deletion_requested": async (event, ctx) => {
    const erased = await eraseUser({ ctx, input: { userId: event.data.userId } });
    ctx.logger.info({ userId: event.data.userId, ...erased }, "user's analytics events erased, their sites left ownerless");
  },
};
