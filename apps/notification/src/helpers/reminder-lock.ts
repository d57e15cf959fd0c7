import type { Tx } from "@lodge/db";
import { sql } from "drizzle-orm";

/** Holds the user's reminders until the transaction ends: creations are counted under it, and an erasure waits for a creation under way. */
export function lockRemindersOf(tx: Pick<Tx, "execute">, userId: string) {
  return tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`reminders:${userId}`}, 0))`);
}
