import type { Db } from "@lodge/db";
import { sites } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Site } from "./site-access";
import { addressMatcher, pathMatcher } from "./site-rules";

/** What an admin sets on a site. */
export type SiteFields = Omit<typeof sites.$inferInsert, "id" | "siteKey" | "createdAt" | "updatedAt">;

/** A site as ingest uses it: its row and its exclusion rules compiled. */
export type IngestSite = { site: Site; excludesPath: (pathname: string) => boolean; excludesIp: (ip: string) => boolean };

/** A site key: 144 random bits, URL-safe. */
export function newSiteKey(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64url");
}

/** Lookups kept at most: a flood of made-up keys cannot grow the cache without bound. */
const MAX_ENTRIES = 10_000;

/**
 * Sites by site key for ingest, each kept `ttlMs` (unknown keys too, so a flood of them does not
 * reach Postgres): a change made on another instance applies here within that time, one made
 * here at once (`forget`). Concurrent lookups of one key share one query.
 */
export function createSiteCache(options: { db: Db; clock: () => Date; ttlMs: number }) {
  const entries = new Map<string, { until: number; site: Promise<IngestSite | null> }>();

  const load = async (siteKey: string): Promise<IngestSite | null> => {
    const [site] = await options.db.select().from(sites).where(eq(sites.siteKey, siteKey)).limit(1);
    return site ? { site, excludesPath: pathMatcher(site.excludedPaths), excludesIp: addressMatcher(site.excludedIps) } : null;
  };

  return {
    byKey(siteKey: string): Promise<IngestSite | null> {
      const now = options.clock().getTime();
      const entry = entries.get(siteKey);
      if (entry && entry.until > now) return entry.site;
      if (entries.size >= MAX_ENTRIES) entries.clear();
      const site = load(siteKey);
      entries.set(siteKey, { until: now + options.ttlMs, site });
      // A failed lookup is not kept.
      site.catch(() => entries.delete(siteKey));
      return site;
    },
    forget(siteKey: string) {
      entries.delete(siteKey);
    },
  };
}

export type SiteCache = ReturnType<typeof createSiteCache>;
