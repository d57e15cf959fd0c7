import { z } from "@hono/zod-openapi";
import { userExportRoutes } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { exportUser } from "../../services/export-user";

const AnalyticsExport = z
  .object({
    userId: z.uuid(),
    sites: z.array(z.object({ id: z.uuid(), domain: z.string(), name: z.string(), createdAt: z.string() })),
    events: z.array(
      z.object({
        id: z.uuid(),
        ts: z.string(),
        name: z.string(),
        siteId: z.uuid().nullable(),
        props: z.record(z.string(), z.string()),
      }),
    ),
  })
  .openapi("AnalyticsExport");

/** What the user service fetches for a user's data export: everything this service holds about them. */
export function exportRoutes(deps: AnalyticsDeps) {
  return userExportRoutes(deps, {
    prefix: "/analytics",
    scope: "analytics:export",
    summary: "A user's owned sites and events",
    data: AnalyticsExport,
    exportUser,
  });
}
