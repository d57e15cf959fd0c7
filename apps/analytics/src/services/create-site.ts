import { sites } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import type { Ctx } from "../deps";
import { newSiteKey, type SiteFields } from "../helpers/site-cache";

/** Registers a site with a fresh random site key; its domain is one site's only (CONFLICT otherwise). */
export async function createSite({ ctx, input }: { ctx: Ctx; input: SiteFields }) {
  const [site] = await ctx.deps.db
    .insert(sites)
    .values({ ...input, siteKey: newSiteKey() })
    .onConflictDoNothing()
    .returning();
  if (!site) throw new ApiError({ code: "CONFLICT", message: `A site for ${input.domain} already exists` });
  return site;
}
