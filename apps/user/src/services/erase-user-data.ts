import type { Ctx } from "../deps";
import { deleteUserRows } from "../helpers/delete-user-rows";

/** The user service's part of an account deletion: erase, and acknowledge with `user.data_erased`. Idempotent. */
export async function eraseUserData({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  await ctx.deps.outbox.transaction(async (tx) => {
    await deleteUserRows(tx, input.userId);
    await ctx.deps.outbox.enqueue(tx, "user.data_erased", { userId: input.userId, service: "user" }, ctx.requestId);
  });
}
