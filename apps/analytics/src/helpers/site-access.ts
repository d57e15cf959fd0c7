import { siteShares, sites } from "@lodge/db/schema";
import { ApiError, type Principal, secretTokenHash } from "@lodge/kit";
import { and, eq, isNull } from "drizzle-orm";
import type { Ctx } from "../deps";

export type Site = typeof sites.$inferSelect;

/** The header (or `?share=` query value) that carries a shared stats link's token. */
export const SHARE_HEADER = "x-lodge-share";

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The site with this id, if the id is one (a malformed id names no site). */
async function findSite(ctx: Ctx, siteId: string): Promise<Site | undefined> {
  if (!uuid.test(siteId)) return undefined;
  return (await ctx.deps.db.select().from(sites).where(eq(sites.id, siteId)).limit(1))[0];
}

/** The site when the principal is an admin (an unknown site is then 404) or its owner; undefined for anyone else. */
function siteOfOwnerOrAdmin(site: Site | undefined, principal: Principal | undefined): Site | undefined {
  if (principal?.kind !== "user") return undefined;
  if (principal.role === "admin") {
    if (!site) throw new ApiError({ code: "NOT_FOUND", message: "No such site" });
    return site;
  }
  return site?.ownerId === principal.userId ? site : undefined;
}

/**
 * The site whose stats the caller may read: admins read every site, a user the sites they own, and
 * anyone holding a live share link of the site (its token) that one site. No token and no link is
 * 401, a reader without the right 403, an unknown site 404 (for those who could read it: admins;
 * others get 403 whether or not it exists, so ids cannot be probed).
 */
export async function siteForReader(ctx: Ctx, siteId: string, principal: Principal | undefined, shareToken: string | undefined): Promise<Site> {
  if (!principal && !shareToken) throw new ApiError({ code: "UNAUTHORIZED", message: "Sign in, or use a shared stats link" });
  const site = await findSite(ctx, siteId);
  const owned = siteOfOwnerOrAdmin(site, principal);
  if (owned) return owned;
  if (site && shareToken) {
    const [share] = await ctx.deps.db
      .select({ id: siteShares.id })
      .from(siteShares)
      .where(and(eq(siteShares.tokenHash, secretTokenHash(shareToken)), eq(siteShares.siteId, site.id), isNull(siteShares.revokedAt)))
      .limit(1);
    if (share) return site;
  }
  throw new ApiError({ code: "FORBIDDEN", message: "Not allowed to read this site's stats" });
}

/**
 * The site the caller may manage (its share links): admins every site (an unknown one is 404), a
 * user the sites they own; anyone else 403 whether or not the site exists (as siteForReader), and
 * no sign-in 401. A share link reads, never manages.
 */
export async function siteForOwner(ctx: Ctx, siteId: string, principal: Principal | undefined): Promise<Site> {
  if (!principal) throw new ApiError({ code: "UNAUTHORIZED", message: "Sign in" });
  const owned = siteOfOwnerOrAdmin(await findSite(ctx, siteId), principal);
  if (owned) return owned;
  throw new ApiError({ code: "FORBIDDEN", message: "Only the site's owner or an admin may manage it" });
}
