import { queryRows } from "@lodge/db";
import { sql } from "drizzle-orm";
import type { Ctx } from "../deps";

/**
 * Whether a page of `origin` may send events at all (a CORS preflight, which carries no siteKey):
 * it is a site's domain or under one, or one of a site's extra origins. The events themselves are
 * checked against their own site's origins.
 */
export async function allowIngestOrigin({ ctx, input }: { ctx: Ctx; input: { origin: string } }): Promise<boolean> {
  let url: URL;
  try {
    url = new URL(input.origin);
  } catch {
    return false;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return false;
  // a.b.example.com is under a.b.example.com, b.example.com, example.com and com.
  const labels = url.hostname.split(".");
  const domains = labels.map((_, index) => labels.slice(index).join("."));
  const found = await queryRows(
    ctx.deps.db,
    sql`select 1 from analytics.sites where domain = any(string_to_array(${domains.join(",")}, ',')) or ${url.origin} = any(extra_origins) limit 1`,
  );
  return found.length > 0;
}
