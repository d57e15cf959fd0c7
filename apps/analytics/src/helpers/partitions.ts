import type { Db } from "@lodge/db";
import { sql } from "drizzle-orm";

/** `events_2026_03`: the partition holding March 2026 (UTC). */
export function partitionName(month: Date): string {
  return `events_${month.getUTCFullYear()}_${String(month.getUTCMonth() + 1).padStart(2, "0")}`;
}

/** The first instant of the UTC month `at` falls in, moved by `months`. */
export function monthStart(at: Date, months = 0): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + months, 1));
}

/** Held while partitions are created or dropped, so instances booting together take turns. */
const PARTITIONS_LOCK = 7206554;

/**
 * Creates the monthly partitions of `analytics.events` from the month of `from` to the month of
 * `to`, both included, that do not exist yet.
 */
export async function ensurePartitions(db: Db, from: Date, to: Date): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${PARTITIONS_LOCK})`);
    for (let month = monthStart(from); month <= to; month = monthStart(month, 1)) {
      // Names and bounds come from dates, not from input; DDL takes no parameters.
      await tx.execute(
        sql.raw(
          `create table if not exists analytics.${partitionName(month)} partition of analytics.events for values from ('${month.toISOString()}') to ('${monthStart(month, 1).toISOString()}')`,
        ),
      );
    }
  });
}
