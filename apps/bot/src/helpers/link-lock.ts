import type { Tx } from "@lodge/db";
import { sql } from "drizzle-orm";

/** Holds the user's deep links until the transaction ends: an erasure waits for a deep link being made, which then sees the user erased. */
export function lockLinksOf(tx: Pick<Tx, "execute">, userId: string) {
  return tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`bot-links:${userId}`}, 0))`);
}
