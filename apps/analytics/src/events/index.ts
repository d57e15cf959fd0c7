import type { Consumers } from "@lodge/kit";
import type { AnalyticsDeps } from "../deps";
import { eraseUser } from "../services/erase-user";
import { productEventConsumers } from "./product-events";

/** What the analytics service consumes (consumer group "analytics"): what users do (product events) and account deletions. */
export const consumers: Consumers<AnalyticsDeps> = {
  ...productEventConsumers,
  "user.deletion_requested": async (event, ctx) => {
    const erased = await eraseUser({ ctx, input: { userId: event.data.userId } });
    ctx.logger.info({ userId: event.data.userId, ...erased }, "user's analytics events erased, their sites left ownerless");
  },
};
