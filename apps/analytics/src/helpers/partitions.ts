import { type Db, queryRows } from "@lodge/db";
import { sql } from "drizzle-orm";
import { holdRollups } from "./rollups";

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

/**
 * Retention: drops the monthly partitions of `analytics.events` that end at or before `cutoff`
 * (a month start), with the rollup rows and dirty marks of that time (hours before it; site-local
 * days before its date). Returns the partitions dropped.
 */
export async function dropPartitionsBefore(db: Db, cutoff: Date): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${PARTITIONS_LOCK})`);
    const partitions = await queryRows<{ name: string }>(
      tx,
      sql`select child.relname as name from pg_inherits
          join pg_class child on child.oid = inhrelid join pg_class parent on parent.oid = inhparent
          join pg_namespace on pg_namespace.oid = parent.relnamespace
          where pg_namespace.nspname = 'analytics' and parent.relname = 'events'`,
    );
    const old = partitions.map(({ name }) => name).filter((name) => /^events_\d{4}_\d{2}$/.test(name) && name < partitionName(cutoff));
    // Names come from the catalog and matched the pattern above; DDL takes no parameters.
    for (const name of old) await tx.execute(sql.raw(`drop table analytics.${name}`));
    // As a site's deletion does: a rollup batch under way must not write these hours back.
    await holdRollups(tx);
    const day = cutoff.toISOString().slice(0, 10);
    await tx.execute(sql`delete from analytics.rollup_hours where hour < ${cutoff.toISOString()}`);
    await tx.execute(sql`delete from analytics.rollup_dirty where hour < ${cutoff.toISOString()}`);
    await tx.execute(sql`delete from analytics.rollup_days where day < ${day}`);
    await tx.execute(sql`delete from analytics.rollup_pages where day < ${day}`);
    await tx.execute(sql`delete from analytics.rollup_hour_pages where hour < ${cutoff.toISOString()}`);
    await tx.execute(sql`delete from analytics.rollup_day_visitors where day < ${day}`);
    await tx.execute(sql`delete from analytics.rollup_page_visitors where day < ${day}`);
    await tx.execute(sql`delete from analytics.rollup_hour_visitors where hour < ${cutoff.toISOString()}`);
    await tx.execute(sql`delete from analytics.rollup_visits where visit_start < ${cutoff.toISOString()}`);
    await tx.execute(sql`delete from analytics.rollup_pending where ts < ${cutoff.toISOString()}`);
    await tx.execute(sql`update analytics.rollup_pending set visit_events = 0 where visit_start < ${cutoff.toISOString()} and visit_events > 0`);
    return old.sort();
  });
}
