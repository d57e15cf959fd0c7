import { reminders } from "@lodge/db/schema";
import { asc, eq } from "drizzle-orm";
import type { Ctx } from "../deps";

/** The user's reminders, soonest first (at most the per-user limit, so one page). */
export function listReminders({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  return ctx.deps.db.select().from(reminders).where(eq(reminders.userId, input.userId)).orderBy(asc(reminders.nextAt), asc(reminders.id));
}
