import type { Consumers } from "@lodge/kit";
import type { AiDeps } from "../deps";
import { eraseUser } from "../services/erase-user";
import { setUserBanned } from "../services/set-user-banned";

/** What the AI service consumes (consumer group "ai"): account deletions, and auth's bans (which stop a user's API keys and calls made for them). */
export const consumers: Consumers<AiDeps> = {
  "user.deletion_requested": async (event, ctx) => {
    const erased = await eraseUser({ ctx, input: { userId: event.data.userId } });
    ctx.logger.info({ userId: event.data.userId, ...erased }, "user's AI keys, limits, usage and jobs erased");
  },
  "auth.user_banned": (event, ctx) => setUserBanned({ ctx, input: event.data }),
};
