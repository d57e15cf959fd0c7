import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, errorResponses, etagMatches } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";

export const scriptRoute = createRoute({
  method: "get",
  path: "/analytics/script.js",
  tags: ["tracker"],
  summary: "The tracker script for a site's pages (public; HEAD too)",
  description:
    'Put `<script defer data-site-key="KEY" src="https://YOUR-HOST/analytics/script.js"></script>` on every page. Minified, under 2 KB gzipped; cached for an hour (then revalidated with its ETag).',
  responses: {
    200: { description: "The script", content: { "application/javascript": { schema: z.string() } } },
    304: { description: "Not modified (If-None-Match)" },
    ...errorResponses(),
  },
});

export const script =
  (deps: AnalyticsDeps): RouteHandler<typeof scriptRoute, AppEnv> =>
  async (c) => {
    const { body, etag } = deps.tracker;
    c.header("etag", etag);
    // An hour fresh, then served stale for a day while the browser (or a CDN) revalidates it.
    c.header("cache-control", "public, max-age=3600, stale-while-revalidate=86400");
    if (etagMatches(c.req.header("if-none-match"), etag)) return c.body(null, 304);
    c.header("content-type", "application/javascript; charset=utf-8");
    c.header("x-content-type-options", "nosniff");
    return c.body(body, 200);
  };
