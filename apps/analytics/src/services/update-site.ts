import { sites } from "@lodge/db/schema";
import { ApiError, causedBy } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import type { SiteFields } from "../helpers/site-cache";

/** Changes a site's fields (those given); its ingest rules apply on every instance within the site cache's lifetime. */
export async function updateSite({ ctx, input }: { ctx: Ctx; input: { id: string; changes: Partial<SiteFields> } }) {
  const { db, clock, siteCache } = ctx.deps;
  const [site] = await db
    .update(sites)
    .set({ ...input.changes, updatedAt: clock() })
    .where(eq(sites.id, input.id))
    .returning()
    .catch((error: unknown) => {
      if (causedBy(error, ({ code }) => code === "23505"))
        throw new ApiError({ code: "CONFLICT", message: `A site for ${input.changes.domain} already exists` });
      throw error;
    });
  if (!site) throw new ApiError({ code: "NOT_FOUND", message: "No such site" });
  siteCache.forget(site.siteKey);
  return site;
}
