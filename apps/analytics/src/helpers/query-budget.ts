import type { Db } from "@lodge/db";
import { ApiError, causedBy } from "@lodge/kit";
import { sql } from "drizzle-orm";
import type { Ctx } from "../deps";

/** Postgres's query_canceled: statement_timeout ran out (or an operator cancelled the query). */
const QUERY_CANCELED = "57014";

/**
 * Runs a report's reads in one read-only transaction whose every statement Postgres cancels after
 * ANALYTICS_QUERY_TIMEOUT_MS: a filtered query over months of raw events then gives its caller a
 * clear 503 instead of holding a connection, and the writer's share of the box, for minutes.
 */
export async function withinQueryBudget<T>(ctx: Ctx, report: (db: Db) => Promise<T>): Promise<T> {
  const timeoutMs = ctx.deps.env.ANALYTICS_QUERY_TIMEOUT_MS;
  try {
    return await ctx.deps.db.transaction(
      async (tx) => {
        await tx.execute(sql`select set_config('statement_timeout', ${String(timeoutMs)}, true)`);
        return report(tx);
      },
      { accessMode: "read only" },
    );
  } catch (error) {
    if (!causedBy(error, ({ code }) => code === QUERY_CANCELED)) throw error;
    throw new ApiError({
      code: "UNAVAILABLE",
      message: `The query took longer than the ${timeoutMs / 1000} s allowed: choose a shorter period or fewer filters`,
      details: { reason: "query_timeout", timeoutMs },
    });
  }
}
