import { siteShares } from "@lodge/db/schema";
import { newSecretToken, type Principal, secretTokenHash } from "@lodge/kit";
import type { Ctx } from "../deps";
import { siteForOwner } from "../helpers/site-access";

/**
 * A read-only link to a site's stats (its owner or an admin): a random 256-bit token, returned
 * this once; only its SHA-256 is kept, so the table alone cannot open a link.
 */
export async function createSiteShare({ ctx, input }: { ctx: Ctx; input: { siteId: string; label: string; by: Principal | undefined } }) {
  const site = await siteForOwner(ctx, input.siteId, input.by);
  const token = newSecretToken();
  const [share] = await ctx.deps.db
    .insert(siteShares)
    .values({ id: Bun.randomUUIDv7(), siteId: site.id, label: input.label, tokenHash: secretTokenHash(token), createdAt: ctx.deps.clock() })
    .returning();
  if (!share) throw new Error("the share link was not stored");
  ctx.logger.info({ siteId: site.id, shareId: share.id }, "analytics share link created");
  return { share, token };
}
