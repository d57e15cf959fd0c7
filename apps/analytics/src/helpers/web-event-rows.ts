import { copyField } from "@lodge/db";
import type { WebEventInput } from "./event-fields";
import { hourStartOf } from "./event-row";
import { type Agent, trafficOf } from "./traffic";

/** An accepted web event of a request: as checked, its page (the URL parsed), and when it happened (ms, clamped). */
export type KeptEvent = { event: WebEventInput; page: URL; at: number };

/** What a request's events share: the site, the day's visitor, the visit's start (ms) and the agent. */
export type RequestFields = { siteId: string; siteDomain: string; visitorId: string; visitStart: number; agent: Agent };

/** A stream entry's events: rows of COPY's text format, and the rollup hours they mark dirty (`<site id> <hour in ISO 8601>`). */
export type EncodedEvents = { rows: string; hours: string[] };

/**
 * A request's web events as the ingest queues them: for each event the row `eventCopyRow` writes
 * for its EventRow (a random UUIDv7 id; stamped no earlier than its visit's start; the page's
 * host, path, source and UTM fields; the agent's fields), and the hours `dirtyHours` gives for
 * those rows (a test compares both). Written without an EventRow per event: what the request's
 * events share is escaped once, each distinct page (URL and referrer) is described once, each
 * distinct time formatted once, and the rows are joined once (a string built by `+=` row after
 * row cost more to encode than to build).
 */
export function webEventRows(request: RequestFields, events: readonly KeptEvent[]): EncodedEvents {
  const { siteId, siteDomain, visitStart, agent } = request;
  const siteAndUser = `${copyField(siteId)}\t\\N`;
  const visit = `${copyField(request.visitorId)}\t${new Date(visitStart).toISOString()}`;
  const agentFields = `${copyField(agent.browser)}\t${copyField(agent.os)}\t${copyField(agent.device)}`;
  const pages = new Map<string, string>();
  const times = new Map<number, string>();
  const rows: string[] = [];
  for (const { event, page, at } of events) {
    // An event of a visit that was already going on is not placed before the visit's start.
    const ts = Math.max(at, visitStart);
    let time = times.get(ts);
    if (time === undefined) {
      time = new Date(ts).toISOString();
      times.set(ts, time);
    }
    const pageKey = event.referrer ? `${page.href} ${event.referrer}` : page.href;
    let pageFields = pages.get(pageKey);
    if (pageFields === undefined) {
      const traffic = trafficOf(page, event.referrer, siteDomain);
      pageFields = [
        traffic.hostname,
        traffic.pathname,
        traffic.referrer,
        traffic.source,
        traffic.utm_medium,
        traffic.utm_campaign,
        traffic.utm_content,
        traffic.utm_term,
      ]
        .map(copyField)
        .join("\t");
      pages.set(pageKey, pageFields);
    }
    const props = event.props === undefined ? "{}" : copyField(JSON.stringify(event.props));
    rows.push(
      `${Bun.randomUUIDv7()}\t${time}\t${siteAndUser}\t${copyField(event.name)}\t${visit}\t${pageFields}\t${agentFields}\t${copyField(event.screenWidth ?? null)}\t${props}\n`,
    );
  }
  const hours = new Set([visitStart, ...times.keys()].map((ms) => `${siteId} ${hourStartOf(ms)}`));
  return { rows: rows.join(""), hours: [...hours] };
}
