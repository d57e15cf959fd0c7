import { ApiError } from "@lodge/kit";
import type { Ctx } from "../deps";

/** The models the caller may use, in OpenAI's list shape, each with its price (USD per million tokens) or `priced: false` when it is unknown and costs 0. */
export async function listModels({ ctx }: { ctx: Ctx }) {
  const aliases = await ctx.deps.registry.list().catch(() => {
    throw new ApiError({ code: "UNAVAILABLE", message: "The provider's model list cannot be read; try again shortly", retryAfter: 5 });
  });
  return {
    object: "list" as const,
    data: aliases.map((alias) => {
      const pricing = alias.deployments[0]?.pricing;
      return {
        id: alias.name,
        object: "model" as const,
        created: 0,
        owned_by: "lodge",
        priced: alias.priced,
        pricing:
          alias.priced && pricing
            ? { input_per_1m: pricing.inputPer1M, output_per_1m: pricing.outputPer1M, cached_input_per_1m: pricing.cachedInputPer1M ?? null }
            : null,
      };
    }),
  };
}
