import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "@lodge/kit";
import type { Context } from "hono";
import type { AnalyticsDeps } from "../../deps";
import { DIMENSIONS, type Dimension } from "../../helpers/breakdowns";
import { toCsv } from "../../helpers/csv";
import { hasControls, StatsQuery } from "../../helpers/filters";
import { resolvePeriod } from "../../helpers/periods";
import { getBreakdown } from "../../services/get-breakdown";
import { bearer, SiteId } from "../schemas";
import { readerRequest } from "./reader";
import { Breakdown, PERIOD_PARAMS, readerDescription, readerErrors, ShareHeader } from "./schemas";

const BreakdownQuery = StatsQuery.extend({
  limit: z.coerce.number().int().min(1).max(1000).optional().openapi({ description: "Rows per page (default 100, at most 1000)" }),
  cursor: z
    .string()
    .regex(/^\d{1,7}$/)
    .optional()
    .openapi({ description: "`nextCursor` of the previous page" }),
  format: z.enum(["json", "csv"]).optional().openapi({ description: "csv (or `Accept: text/csv`): the page as CSV" }),
});
const OWN_PARAMS = [...PERIOD_PARAMS, "limit", "cursor", "format"];

const responses = {
  200: {
    description: "One page of values, by visitors",
    content: { "application/json": { schema: Breakdown }, "text/csv": { schema: z.string().openapi({ description: "value,visitors,... per row" }) } },
  },
  ...readerErrors,
};
const summary = "sorted by visitors, paginated, as JSON or CSV";

export const breakdownRoute = createRoute({
  method: "get",
  path: "/analytics/sites/{id}/breakdown/{dimension}",
  tags: ["stats"],
  summary: `A site's period broken down by a dimension, ${summary}`,
  description: `${readerDescription} Dimensions: ${DIMENSIONS.join(", ")} (screen sizes: mobile < 576 px, tablet < 992, laptop < 1440, desktop).`,
  security: bearer,
  request: { params: SiteId.extend({ dimension: z.enum(DIMENSIONS) }), query: BreakdownQuery, headers: ShareHeader },
  responses,
});

export const propertyBreakdownRoute = createRoute({
  method: "get",
  path: "/analytics/sites/{id}/breakdown/props/{key}",
  tags: ["stats"],
  summary: `A site's events broken down by the values of a property, ${summary}`,
  description: readerDescription,
  security: bearer,
  request: {
    params: SiteId.extend({
      key: z
        .string()
        .min(1)
        .max(300)
        .refine((key) => !hasControls(key), "no control characters"),
    }),
    query: BreakdownQuery,
    headers: ShareHeader,
  },
  responses,
});

async function answer(c: Context<AppEnv>, deps: AnalyticsDeps, dimension: Dimension, query: z.infer<typeof BreakdownQuery>) {
  const { ctx, site, filters } = await readerRequest(c, deps, OWN_PARAMS);
  const period = resolvePeriod(query, site.timeZone, deps.clock());
  const csv = query.format === "csv" || (query.format === undefined && (c.req.header("accept") ?? "").includes("text/csv"));
  const offset = Number(query.cursor ?? 0);
  const page = await getBreakdown({ ctx, input: { site, period, filters, dimension, offset, limit: query.limit ?? 100 } });
  if (!csv) return c.json(page, 200);
  const name = typeof dimension === "string" ? dimension : "props";
  const columns = ["value", "visitors", ...["visits", "pageviews", "events"].filter((column) => page.results.some((row) => column in row))];
  return c.body(toCsv(columns, page.results), 200, {
    "content-type": "text/csv; charset=utf-8",
    "content-disposition": `attachment; filename="${name}.csv"`,
  });
}

export const breakdown =
  (deps: AnalyticsDeps): RouteHandler<typeof breakdownRoute, AppEnv> =>
  async (c) =>
    (await answer(c, deps, c.req.valid("param").dimension, c.req.valid("query"))) as never;

export const propertyBreakdown =
  (deps: AnalyticsDeps): RouteHandler<typeof propertyBreakdownRoute, AppEnv> =>
  async (c) =>
    (await answer(c, deps, { property: c.req.valid("param").key }, c.req.valid("query"))) as never;
