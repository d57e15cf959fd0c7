import { siteShares } from "@lodge/db/schema";
import { ApiError, type Principal } from "@lodge/kit";
import { and, eq, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { siteForOwner } from "../helpers/site-access";

/**
 * Revokes one of a site's share links (its owner or an admin): the link stops working at the next
 * request (siteForReader reads revoked_at every time). Revoking it again keeps the first time.
 */
export async function revokeSiteShare({ ctx, input }: { ctx: Ctx; input: { siteId: string; shareId: string; by: Principal | undefined } }) {
  const site = await siteForOwner(ctx, input.siteId, input.by);
  const [share] = await ctx.deps.db
    .update(siteShares)
    .set({ revokedAt: sql`coalesce(${siteShares.revokedAt}, ${ctx.deps.clock().toISOString()}::timestamptz)` })
    .where(and(eq(siteShares.id, input.shareId), eq(siteShares.siteId, site.id)))
    .returning({ id: siteShares.id });
  if (!share) throw new ApiError({ code: "NOT_FOUND", message: "No such share link" });
  ctx.logger.info({ siteId: site.id, shareId: share.id }, "analytics share link revoked");
}
