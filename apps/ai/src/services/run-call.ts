import type { RunCall } from "../deps";
import { completeChat } from "./complete-chat";
import { generateImages } from "./generate-images";

/** A job's request through the gateway's call path, as /ai/v1 runs it (the caller's limits, budgets and metering), within the total timeout. */
export const runCall: RunCall = async (ctx, caller, kind, request) => {
  const input = { caller, body: request, signal: AbortSignal.timeout(ctx.deps.env.AI_TOTAL_TIMEOUT_MS), cacheKey: null };
  const { answer } = kind === "chat" ? await completeChat({ ctx, input }) : await generateImages({ ctx, input });
  return answer;
};
