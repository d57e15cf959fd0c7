import { queryRows } from "@lodge/db";
import { analyticsErasedUsers, erasedUserKey, sites } from "@lodge/db/schema";
import { eq, sql } from "drizzle-orm";
import type { Ctx } from "../deps";

/**
 * Account deletion: the user's own events go (product events, and any web event tied to them: the
 * hours those touched are marked dirty with `rescan`, so the rollups count their days again
 * without them) and the sites they owned stay, ownerless (a site is the team's, not the person's),
 * in one transaction that also publishes `user.data_erased` (service "analytics"). Web visitors
 * are never tied to a user: nothing else names them. The user is remembered as erased (by a hash
 * of the id), so a late event about them stores nothing. Safe to run again.
 */
export async function eraseUser({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const { outbox } = ctx.deps;
  return outbox.transaction(async (tx) => {
    const [erased] = await queryRows<{ events: number }>(
      tx,
      sql`with erased as (
        delete from analytics.events where user_id = ${input.userId} returning site_id, ts, visit_start
      ), marked as (
        insert into analytics.rollup_dirty (site_id, hour, rescan)
        select distinct erased.site_id, date_trunc('hour', touched.at, 'UTC'), true
        from erased cross join lateral (values (erased.ts), (erased.visit_start)) as touched(at)
        where erased.site_id is not null and touched.at is not null
        on conflict (site_id, hour) do update set version = analytics.rollup_dirty.version + 1, rescan = true
      )
      select count(*)::int as events from erased`,
    );
    await tx
      .insert(analyticsErasedUsers)
      .values({ userKey: erasedUserKey(input.userId), erasedAt: ctx.deps.clock() })
      .onConflictDoNothing();
    const owned = await tx.update(sites).set({ ownerId: null }).where(eq(sites.ownerId, input.userId)).returning({ id: sites.id });
    await outbox.enqueue(tx, "user.data_erased", { userId: input.userId, service: "analytics" }, ctx.requestId);
    return { events: erased?.events ?? 0, sitesUnowned: owned.length };
  });
}
