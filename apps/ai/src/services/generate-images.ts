import type { Ctx } from "../deps";
import type { Caller } from "../helpers/calls";
import { answerCall } from "../helpers/gateway-call";
import { promptInputTokens } from "../helpers/tokens";
import type { Json } from "../providers/types";

/** Images made from the prompt by the first deployment that answers (OpenAI's or Replicate's image models). */
export function generateImages({ ctx, input }: { ctx: Ctx; input: { caller: Caller; body: Json; signal: AbortSignal } }) {
  return answerCall(ctx, {
    ...input,
    kind: "images",
    // Not cached: an image is a new one each time, and providers' image URLs expire.
    cacheKey: null,
    inputTokens: promptInputTokens(String(input.body.prompt ?? "")),
    send: async (provider, request) => ({ body: await provider.images(request) }),
    estimate: () => 0,
  });
}
