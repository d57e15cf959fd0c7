import type { Tx } from "@lodge/db";
import type { Ctx } from "../deps";

/** Runs `work` in a transaction; events it enqueued go out as soon as it has committed. */
export async function inTransaction<T>(ctx: Ctx, work: (tx: Tx) => Promise<T>): Promise<T> {
  const result = await ctx.deps.db.transaction(work);
  ctx.deps.outbox.kick();
  return result;
}
