import { type AppEnv, ctxOf } from "@lodge/kit";
import type { Context } from "hono";
import type { AnalyticsDeps } from "../../deps";
import { parseFilters } from "../../helpers/filters";
import { SHARE_HEADER, siteForReader } from "../../helpers/site-access";

/**
 * What every stats route does first: the filters from the raw query (anything else than the
 * route's own parameters `params` must be one), then the site, if the caller may read it (a token,
 * or a share link's token in the header or `?share=`).
 */
export async function readerRequest(c: Context<AppEnv>, deps: AnalyticsDeps, params: readonly string[]) {
  const query = new URL(c.req.url).searchParams;
  const filters = parseFilters(query, params);
  const principal = await deps.guard.optionalPrincipal(c);
  const ctx = { ...ctxOf(c, deps), principal };
  const site = await siteForReader(ctx, c.req.param("id") ?? "", principal, c.req.header(SHARE_HEADER) ?? query.get("share") ?? undefined);
  return { ctx, site, filters };
}
