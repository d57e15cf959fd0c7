import { z } from "@hono/zod-openapi";
import type { siteShares } from "@lodge/db/schema";
import { safeText } from "@lodge/kit";
import { SiteId } from "../schemas";

export const ShareCreate = z
  .object({ label: safeText({ max: 200, refuse: "controls", trim: "first" }).default("").openapi({ description: "Who or what the link is for" }) })
  .strict()
  .openapi("AnalyticsShareCreate");

export const Share = z
  .object({
    id: z.uuid(),
    label: z.string(),
    createdAt: z.string(),
    revokedAt: z.string().nullable().openapi({ description: "Set once revoked: the link no longer opens the stats" }),
  })
  .openapi("AnalyticsShare");

export const ShareId = SiteId.extend({ shareId: z.uuid().openapi({ param: { name: "shareId", in: "path" }, description: "The share link's id" }) });

export const shareView = (row: typeof siteShares.$inferSelect): z.infer<typeof Share> => ({
  id: row.id,
  label: row.label,
  createdAt: row.createdAt.toISOString(),
  revokedAt: row.revokedAt?.toISOString() ?? null,
});
