import type { Tx } from "../channels/types";
import type { Ctx } from "../deps";
import { type NotificationSend, type WrittenSend, writeNotifications } from "../helpers/write-notifications";

/**
 * One notification of `input.type` for each of `input.userIds`, with its deliveries planned (see
 * writeNotifications), all or nothing. In `tx` when the caller writes more with it; without one,
 * the write is one statement, atomic on its own, shared with the sends of concurrent requests (see
 * batchedSends). Returns the notification ids in `userIds` order and their deliveries still
 * pending, which the caller queues (`queueDeliveries`) once committed.
 */
export function insertNotifications(ctx: Ctx, input: NotificationSend, tx?: Tx): Promise<WrittenSend> {
  if (!tx) return ctx.deps.batchedSends(input);
  return writeNotifications(ctx.deps, tx, [input]).then(([written]) => written as WrittenSend);
}
