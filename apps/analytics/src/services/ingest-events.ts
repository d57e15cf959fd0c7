import { ApiError } from "@lodge/kit";
import type { Ctx } from "../deps";
import { invalidFieldReason, WebEventFields, type WebEventInput } from "../helpers/event-fields";
import { backlogFull } from "../helpers/ingest-backlog";
import { queueEvents } from "../helpers/ingest-stream";
import { originAllowed } from "../helpers/site-rules";
import { type KeptEvent, webEventRows } from "../helpers/web-event-rows";

export type IngestInput = {
  siteKey: string;
  /** The request's events as sent (each checked here: a bad one is dropped, the others kept). */
  events: readonly unknown[];
  /** The page's origin (browsers send it); none from a server, which may send events too. */
  origin: string | undefined;
  ip: string;
  userAgent: string;
};

export type Dropped = { index: number; reason: string };

/** A client's timestamp (ms or ISO 8601) within the allowed skew before `now`, and never after it. */
function clampedTime(ts: WebEventInput["ts"], now: number, skewMs: number): number {
  if (ts === undefined) return now;
  const at = typeof ts === "number" ? ts : Date.parse(ts);
  return Math.min(now, Math.max(now - skewMs, at));
}

/**
 * The tracker's ingest: the site of the siteKey (NOT_FOUND), a browser's origin among the site's
 * (FORBIDDEN), room in the stream (UNAVAILABLE while its backlog is at the bound, before anything
 * is counted or queued), the per-IP and per-site rate limits, then each event checked and described (its
 * page, source and UTM fields, browser, OS and device, the day's visitor and the visit) and the
 * kept ones queued in one stream entry: resolved once Redis has them. Bots, the site's excluded
 * addresses and paths, and events that fail a field's check are dropped, each with its reason.
 * Neither the address nor the user agent is kept: only the visitor hash and what was parsed.
 */
export async function ingestEvents({ ctx, input }: { ctx: Ctx; input: IngestInput }) {
  const { env, siteCache, clients, limiter, visitors, ingestMetrics, ingestBacklog, redis, redisPrefix, clock } = ctx.deps;
  const found = await siteCache.byKey(input.siteKey);
  if (!found) throw new ApiError({ code: "NOT_FOUND", message: "No site has this siteKey" });
  const { site } = found;
  if (input.origin !== undefined && !originAllowed(site, input.origin)) {
    throw new ApiError({ code: "FORBIDDEN", message: "This origin may not send this site's events" });
  }
  if (ingestBacklog.full()) {
    ingestMetrics.refused.inc();
    throw backlogFull();
  }
  const perMinute = (max: number) => ({ max, windowSeconds: 60 });
  await limiter.hitAll([
    [`analytics:ingest:ip:${limiter.client(input.ip)}`, perMinute(env.ANALYTICS_RATE_PER_IP)],
    [`analytics:ingest:site:${site.id}`, perMinute(env.ANALYTICS_RATE_PER_SITE)],
  ]);

  const now = clock().getTime();
  const dropped: Dropped[] = [];
  const client = clients(input.userAgent);
  const everyEvent = client.bot ? "bot" : found.excludesIp(input.ip) ? "excluded_ip" : undefined;
  const kept: KeptEvent[] = [];
  for (const [index, raw] of input.events.entries()) {
    if (everyEvent) {
      dropped.push({ index, reason: everyEvent });
      continue;
    }
    const parsed = WebEventFields.safeParse(raw);
    if (!parsed.success) {
      dropped.push({ index, reason: invalidFieldReason(parsed.error) });
      continue;
    }
    const page = parsed.data.url;
    if (found.excludesPath(page.pathname)) {
      dropped.push({ index, reason: "excluded_path" });
      continue;
    }
    kept.push({ event: parsed.data, page, at: clampedTime(parsed.data.ts, now, env.ANALYTICS_MAX_CLOCK_SKEW_MS) });
  }

  if (kept.length > 0) {
    const visitorId = await visitors.visitorId(site.id, input.ip, input.userAgent, new Date(now));
    const times = kept.map(({ at }) => at);
    const visitStart = await visitors.visitStart(site.id, visitorId, Math.min(...times), Math.max(...times));
    const request = { siteId: site.id, siteDomain: site.domain, visitorId, visitStart, agent: client.agent };
    await queueEvents(redis, redisPrefix, webEventRows(request, kept));
  }
  ingestMetrics.accepted.inc(kept.length);
  for (const { reason } of dropped) ingestMetrics.dropped.inc({ reason });
  return { accepted: kept.length, dropped };
}
