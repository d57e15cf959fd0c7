import type { Tx } from "../channels/types";
import type { Ctx } from "../deps";
import { type NotificationSend, type SendOutcome, type WrittenSend, writeNotifications } from "../helpers/write-notifications";

/**
 * One notification of `input.type` for each of `input.userIds`, with its deliveries planned (see
 * writeNotifications), all or nothing. In `tx` when the caller writes more with it; without one,
 * the write is one statement, atomic on its own, shared with the sends of concurrent requests (see
 * batchedSends). Returns the notification ids in `userIds` order and their deliveries still
 * pending, which the caller queues (`queueDeliveries`) once committed.
 */
export async function insertNotifications(ctx: Ctx, input: NotificationSend, tx?: Tx): Promise<WrittenSend> {
  if (input.userIds.length === 0) return { ids: [], pending: [] };
  const outcome = tx ? ((await writeNotifications(ctx.deps, tx, [input]))[0] as SendOutcome) : await ctx.deps.batchedSends(input);
  if ("error" in outcome) throw outcome.error;
  return outcome;
}
