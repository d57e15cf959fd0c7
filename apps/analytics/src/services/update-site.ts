import { sites } from "@lodge/db/schema";
import { ApiError, causedBy } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { holdRollups, recountDays } from "../helpers/rollups";
import type { SiteFields } from "../helpers/site-cache";

/**
 * Changes a site's fields (those given); its ingest rules apply on every instance within the site
 * cache's lifetime. A new time zone makes its local days other days: the rollups count them again
 * (recountDays), in the same transaction.
 */
export async function updateSite({ ctx, input }: { ctx: Ctx; input: { id: string; changes: Partial<SiteFields> } }) {
  const { db, clock, siteCache } = ctx.deps;
  const { timeZone } = input.changes;
  const site = await db
    .transaction(async (tx) => {
      // The rollups first, then the site's row: the order a site's deletion takes them in.
      if (timeZone !== undefined) await holdRollups(tx);
      const [before] = timeZone === undefined ? [] : await tx.select({ timeZone: sites.timeZone }).from(sites).where(eq(sites.id, input.id));
      const [updated] = await tx
        .update(sites)
        .set({ ...input.changes, updatedAt: clock() })
        .where(eq(sites.id, input.id))
        .returning();
      if (updated && before && before.timeZone !== updated.timeZone) await recountDays(tx, updated.id);
      return updated;
    })
    .catch((error: unknown) => {
      if (causedBy(error, ({ code }) => code === "23505"))
        throw new ApiError({ code: "CONFLICT", message: `A site for ${input.changes.domain} already exists` });
      throw error;
    });
  if (!site) throw new ApiError({ code: "NOT_FOUND", message: "No such site" });
  siteCache.forget(site.siteKey);
  return site;
}
