import type { Ctx } from "../deps";
import type { Caller } from "../helpers/calls";
import { answerCall } from "../helpers/gateway-call";
import { embeddingInputTokens } from "../helpers/tokens";
import type { Json } from "../providers/types";

/** Embeddings of the input, from the response cache or the first deployment that answers. */
export function createEmbeddings({ ctx, input }: { ctx: Ctx; input: { caller: Caller; body: Json; signal: AbortSignal; cacheKey: string | null } }) {
  return answerCall(ctx, {
    ...input,
    kind: "embeddings",
    inputTokens: embeddingInputTokens(input.body.input),
    send: async (provider, request) => ({ body: await provider.embeddings(request) }),
    estimate: () => 0,
  });
}
