import { events, sites } from "@lodge/db/schema";
import { asc, eq } from "drizzle-orm";
import type { Ctx } from "../deps";

/**
 * What the analytics service holds about the user, for the user service's GDPR export: the sites
 * they own and every event tied to them (product events and what they tracked for themselves).
 * Web visitors' events name no user (a daily-salted hash at most), so none of those are theirs.
 */
export async function exportUser({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const { db } = ctx.deps;
  const owned = await db
    .select({ id: sites.id, domain: sites.domain, name: sites.name, createdAt: sites.createdAt })
    .from(sites)
    .where(eq(sites.ownerId, input.userId))
    .orderBy(asc(sites.createdAt), asc(sites.id));
  const theirs = await db
    .select({ id: events.id, ts: events.ts, name: events.name, siteId: events.siteId, props: events.props })
    .from(events)
    .where(eq(events.userId, input.userId))
    .orderBy(asc(events.ts), asc(events.id));
  return {
    userId: input.userId,
    sites: owned.map((site) => ({ ...site, createdAt: site.createdAt.toISOString() })),
    events: theirs.map((event) => ({ ...event, ts: event.ts.toISOString() })),
  };
}
