import { reminders } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq } from "drizzle-orm";
import type { Ctx } from "../deps";

/** Deletes one of the user's reminders; anyone else's is a 404, as a missing one is. Its queued job then finds nothing to fire. */
export async function deleteReminder({ ctx, input }: { ctx: Ctx; input: { userId: string; id: string } }) {
  const removed = await ctx.deps.db
    .delete(reminders)
    .where(and(eq(reminders.id, input.id), eq(reminders.userId, input.userId)))
    .returning({ id: reminders.id });
  if (removed.length === 0) throw new ApiError({ code: "NOT_FOUND", message: "No such reminder" });
}
