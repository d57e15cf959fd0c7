import { reminders } from "@lodge/db/schema";
import { ApiError, canonicalHash, instantOf, isTimeZone, wallTimeOf } from "@lodge/kit";
import { and, count, eq } from "drizzle-orm";
import type { Channel } from "../catalog/index";
import type { Ctx } from "../deps";
import { formatWallTime, parseWallTime } from "../helpers/local-time";
import { recipientOf, wasErased } from "../helpers/recipients";
import { parseRepeat } from "../helpers/recurrence";
import { lockRemindersOf } from "../helpers/reminder-lock";
import { queueReminder, unschedulable } from "../helpers/triggers";

export type ReminderInput = { userId: string; text: string; at?: string; repeat?: string; channels?: Channel[]; idempotencyKey?: string };

/**
 * A user's reminder, in their time zone (the local copy's, UTC when unknown or not a zone Intl
 * knows). `at` is an instant with an offset, or a local wall time read in that zone; with `repeat`
 * it is the first occurrence's (or after) and sets the local time every later one keeps across DST
 * changes; a repeat without `at` starts now. At most `remindersPerUser` each (counted under a
 * per-user lock, so concurrent creations cannot pass it). A user whose data was erased (a service
 * client may still name them) is a 404: nothing is kept for them again. With an idempotency key, a
 * creation retried (the bot after a crash, a client after a lost answer) answers the reminder the
 * key made, and the same key with another body is a 409; the key lives as long as its reminder.
 */
export async function createReminder({ ctx, input }: { ctx: Ctx; input: ReminderInput }) {
  const { db, clock, config } = ctx.deps;
  if (input.at === undefined && input.repeat === undefined) throw invalid("at", "give `at`, `repeat` or both");
  const now = clock();
  const recipient = await recipientOf(ctx, input.userId);
  const timeZone = isTimeZone(recipient.timeZone) ? recipient.timeZone : "UTC";

  const startWall = input.at === undefined ? wallTimeOf(new Date(Math.ceil(now.getTime() / 60_000) * 60_000), timeZone) : wallOf(input.at, timeZone);
  let first = instantOf(startWall, timeZone);
  let repeat: string | null = null;
  if (input.repeat !== undefined) {
    let parsed: ReturnType<typeof parseRepeat>;
    try {
      parsed = parseRepeat(input.repeat, startWall);
    } catch (error) {
      throw invalid("repeat", (error as Error).message);
    }
    const firstWall = parsed.rule.after(startWall, true);
    if (!firstWall) throw invalid("repeat", "the rule never fires");
    first = instantOf(firstWall, timeZone);
    repeat = parsed.text;
  }
  const problem = unschedulable(first, now);
  if (problem) throw invalid("at", `the first reminder ${problem}`);

  const { idempotencyKey, userId, ...request } = input;
  const requestHash = idempotencyKey === undefined ? null : canonicalHash(request);
  const row = await db.transaction(async (tx) => {
    await lockRemindersOf(tx, input.userId);
    if (await wasErased(tx, input.userId)) throw new ApiError({ code: "NOT_FOUND", message: "No such user" });
    if (idempotencyKey !== undefined) {
      // Creations of one user take turns under the lock: a first one with this key has committed.
      const [made] = await tx
        .select()
        .from(reminders)
        .where(and(eq(reminders.userId, userId), eq(reminders.idempotencyKey, idempotencyKey)));
      if (made && made.requestHash !== requestHash)
        throw new ApiError({ code: "CONFLICT", message: "This idempotency key was used for a different reminder; use a new key" });
      if (made) return made;
    }
    const [held] = await tx.select({ count: count() }).from(reminders).where(eq(reminders.userId, input.userId));
    if ((held?.count ?? 0) >= config.remindersPerUser)
      throw new ApiError({ code: "CONFLICT", message: `You have ${config.remindersPerUser} reminders, the most allowed; delete one first` });
    const [created] = await tx
      .insert(reminders)
      .values({
        userId: input.userId,
        text: input.text,
        repeat,
        startsAt: formatWallTime(startWall),
        timeZone,
        channels: input.channels ? [...new Set(input.channels)] : null,
        nextAt: first,
        createdAt: now,
        idempotencyKey,
        requestHash,
      })
      .returning();
    return created as typeof reminders.$inferSelect;
  });
  // A replay queues again what a crash after the first commit may have left unqueued (by id: never twice).
  await queueReminder(ctx, row.id, row.nextAt);
  return row;
}

/** `at` as a floating wall time in `timeZone`: an instant (with `Z` or an offset) converted, a local time taken as it is. */
function wallOf(at: string, timeZone: string): Date {
  const local = parseWallTime(at);
  if (local) return local;
  const instant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(at) ? new Date(at) : undefined;
  if (!instant || Number.isNaN(instant.getTime()))
    throw invalid("at", "an ISO time with an offset (2026-12-24T09:00:00+01:00) or a local time (2026-12-24T09:00)");
  return wallTimeOf(instant, timeZone);
}

const invalid = (path: string, message: string) => new ApiError({ code: "VALIDATION_FAILED", message, details: [{ path, message }] });
