import type { Ctx } from "../deps";
import type { Caller } from "../helpers/calls";
import { answerCall } from "../helpers/gateway-call";
import { chatInputTokens, textTokens } from "../helpers/tokens";
import type { Json } from "../providers/types";

/** A chat completion in one piece, from the response cache or the first deployment that answers; the body passes through with the deployment's model. */
export function completeChat({ ctx, input }: { ctx: Ctx; input: { caller: Caller; body: Json; signal: AbortSignal; cacheKey: string | null } }) {
  return answerCall(ctx, {
    ...input,
    kind: "chat",
    inputTokens: chatInputTokens(input.body.messages),
    send: (provider, request) => provider.chat(request),
    estimate: (answer) => {
      const choices = Array.isArray(answer.choices) ? (answer.choices as { message?: { content?: unknown } }[]) : [];
      return choices.reduce((sum, choice) => sum + (typeof choice.message?.content === "string" ? textTokens(choice.message.content) : 0), 0);
    },
  });
}
