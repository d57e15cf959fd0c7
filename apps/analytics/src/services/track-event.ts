import { eventTypes } from "@lodge/events";
import { ApiError } from "@lodge/kit";
import type { Ctx } from "../deps";
import { recordProductEvent } from "./record-product-event";

const busEventNames = new Set<string>(eventTypes);

/**
 * Records a product event for a user now (POST /analytics/track). The names of bus events are the
 * services' own (`user.registered` makes a retention cohort): refused here.
 */
export async function trackEvent({ ctx, input }: { ctx: Ctx; input: { userId: string; name: string; props: Record<string, string> } }) {
  if (busEventNames.has(input.name)) {
    throw new ApiError({
      code: "VALIDATION_FAILED",
      message: "This name is reserved for the services' own events",
      details: [{ path: "name", message: "reserved" }],
    });
  }
  const at = ctx.deps.clock();
  const id = Bun.randomUUIDv7("hex", at);
  await recordProductEvent({ ctx, input: { id, at, userId: input.userId, name: input.name, props: input.props } });
  return { id };
}
