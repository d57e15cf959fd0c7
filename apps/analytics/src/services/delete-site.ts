import { queryRows } from "@lodge/db";
import { sites } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eq, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { holdRollups } from "../helpers/rollups";

/**
 * Deletes a site with its events, rollups and dirty marks (its share links cascade), in one
 * transaction. The site's row goes first: a writer storing its events holds a lock on it, so
 * this waits for that commit and then deletes those events too; a writer after it finds no site
 * and skips them. Rollup batches wait too: one that read the site's dirty hours must not write
 * their rows back after the delete.
 */
export async function deleteSite({ ctx, input }: { ctx: Ctx; input: { id: string } }) {
  const { db, siteCache } = ctx.deps;
  const deleted = await db.transaction(async (tx) => {
    await holdRollups(tx);
    const [site] = await tx.delete(sites).where(eq(sites.id, input.id)).returning({ siteKey: sites.siteKey });
    if (!site) return null;
    const [counts] = await queryRows<{ events: number }>(
      tx,
      sql`with events as (delete from analytics.events where site_id = ${input.id} returning 1),
        hours as (delete from analytics.rollup_hours where site_id = ${input.id}),
        days as (delete from analytics.rollup_days where site_id = ${input.id}),
        pages as (delete from analytics.rollup_pages where site_id = ${input.id}),
        hour_pages as (delete from analytics.rollup_hour_pages where site_id = ${input.id}),
        day_visitors as (delete from analytics.rollup_day_visitors where site_id = ${input.id}),
        page_visitors as (delete from analytics.rollup_page_visitors where site_id = ${input.id}),
        hour_visitors as (delete from analytics.rollup_hour_visitors where site_id = ${input.id}),
        visits as (delete from analytics.rollup_visits where site_id = ${input.id}),
        pending as (delete from analytics.rollup_pending where site_id = ${input.id}),
        dirty as (delete from analytics.rollup_dirty where site_id = ${input.id})
      select count(*)::int as events from events`,
    );
    return { siteKey: site.siteKey, events: counts?.events ?? 0 };
  });
  if (!deleted) throw new ApiError({ code: "NOT_FOUND", message: "No such site" });
  siteCache.forget(deleted.siteKey);
  ctx.logger.info({ siteId: input.id, events: deleted.events }, "site deleted with its events");
}
