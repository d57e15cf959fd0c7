import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { ApiError, type AppEnv } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { bearer, SiteId } from "../schemas";
import { readerRequest } from "../stats/reader";
import { readerDescription, readerErrors, ShareHeader } from "../stats/schemas";

const WHY =
  "Visitors cannot be followed across days by design: a visitor is hash(daily salt, site, address, user agent), and the salt changes every day, " +
  "so the same person is a new visitor each day and there are no cohorts of returning visitors. For retention, see GET /analytics/retention (signed-up users).";

export const siteRetentionRoute = createRoute({
  method: "get",
  path: "/analytics/sites/{id}/retention",
  tags: ["stats"],
  summary: "Not available for a site's visitors (privacy by design): always 422 for its readers",
  description: `${WHY} ${readerDescription}`,
  security: bearer,
  request: {
    params: SiteId,
    query: z.object({
      cohort: z.string().max(10).optional(),
      from: z.string().max(10).optional(),
      to: z.string().max(10).optional(),
      share: z.string().max(200).optional(),
    }),
    headers: ShareHeader,
  },
  responses: { ...readerErrors },
});

export const siteRetention =
  (deps: AnalyticsDeps): RouteHandler<typeof siteRetentionRoute, AppEnv> =>
  async (c) => {
    await readerRequest(c, deps, ["cohort", "from", "to", "share"]);
    throw new ApiError({ code: "VALIDATION_FAILED", message: WHY });
  };
