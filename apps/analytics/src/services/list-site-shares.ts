import { siteShares } from "@lodge/db/schema";
import type { Principal } from "@lodge/kit";
import { desc, eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { siteForOwner } from "../helpers/site-access";

/** A site's share links, newest first, revoked ones too (its owner or an admin); their tokens are not kept, so not shown. */
export async function listSiteShares({ ctx, input }: { ctx: Ctx; input: { siteId: string; by: Principal | undefined } }) {
  const site = await siteForOwner(ctx, input.siteId, input.by);
  return ctx.deps.db.select().from(siteShares).where(eq(siteShares.siteId, site.id)).orderBy(desc(siteShares.createdAt), desc(siteShares.id));
}
