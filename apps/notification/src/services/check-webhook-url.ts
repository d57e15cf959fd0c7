import { ApiError, checkTarget, RefusedTarget } from "@lodge/kit";
import type { Ctx } from "../deps";

/** A webhook URL an admin gives must be one the service may reach (see checkTarget): 422 otherwise. Returns it canonical (`http://2130706433/` → `http://127.0.0.1/`). */
export async function checkWebhookUrl({ ctx, input }: { ctx: Ctx; input: { url: string } }) {
  try {
    return (await checkTarget(input.url, { allowedHosts: ctx.deps.webhooks.config.allowedHosts })).url.href;
  } catch (error) {
    if (!(error instanceof RefusedTarget)) throw error;
    throw new ApiError({ code: "VALIDATION_FAILED", message: `url is refused: ${error.message}`, details: { field: "url", reason: error.reason } });
  }
}
