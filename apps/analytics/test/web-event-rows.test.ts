import { describe, expect, test } from "bun:test";
import { isbot } from "isbot";
import { WebEventFields } from "../src/helpers/event-fields";
import { dirtyHours, type EventRow, eventCopyRow } from "../src/helpers/event-row";
import { agentOf, createClientCache, trafficOf } from "../src/helpers/traffic";
import { type KeptEvent, type RequestFields, webEventRows } from "../src/helpers/web-event-rows";
import { random } from "./fixtures";

/** Text that could end a COPY field or row early, read as an escape or null, or lose characters. */
const texts = ["plain", "tab\there", "back\\slash\\", "\\N", "\\.", "", "ünï 日本 😀 \u2028 e\u0301", "'; drop table x; --", "  padded  "];
const pages = [
  "https://example.com/",
  "https://example.com/a?utm_source=news&utm_medium=mail&utm_campaign=spring%20sale",
  "https://www.example.com/b/#/route?utm_term=x",
  "https://example.com/%E6%97%A5%E6%9C%AC?utm_content=a+b&utm_source=%00c",
  "http://sub.example.com/tab%09path#top",
  "https://example.com/back\\slash?utm_source=a%5Cb",
];
const referrers = [
  undefined,
  null,
  "",
  "https://www.google.de/search?q=x",
  "https://example.com/from",
  "https://news.ycombinator.com/item",
  "not a url",
  "ftp://x.org/",
];

/** The row and hours as the ingest made them before webEventRows (one EventRow per event, then eventCopyRow and dirtyHours). */
function reference(request: RequestFields, events: KeptEvent[], ids: string[]) {
  const iso = (at: number) => new Date(at).toISOString();
  const rows = events.map(
    ({ event, page, at }, index): EventRow => ({
      id: ids[index] as string,
      ts: iso(Math.max(at, request.visitStart)),
      site_id: request.siteId,
      user_id: null,
      name: event.name,
      visitor_id: request.visitorId,
      visit_start: iso(request.visitStart),
      ...trafficOf(page, event.referrer, request.siteDomain),
      ...request.agent,
      screen_width: event.screenWidth ?? null,
      props: event.props ?? {},
    }),
  );
  return { rows: rows.map(eventCopyRow).join(""), hours: dirtyHours(rows).toSorted() };
}

describe("a request's events as COPY rows (webEventRows)", () => {
  test("the same rows and dirty hours as an EventRow per event through eventCopyRow and dirtyHours, over random requests", () => {
    const generator = random(23);
    const visitStartBase = Date.parse("2026-03-10T09:40:00.000Z");
    for (let run = 0; run < 300; run++) {
      const events: KeptEvent[] = [];
      for (let index = 0; index < 1 + generator.int(12); index++) {
        const raw = {
          name: generator.pick(texts) || "pageview",
          url: generator.pick(pages),
          referrer: generator.pick(referrers),
          ...(generator.int(3) === 0 ? {} : { props: { [generator.pick(texts) || "k"]: generator.pick(texts) } }),
          ...(generator.int(3) === 0 ? {} : { screenWidth: generator.int(4) === 0 ? null : generator.int(4000) }),
        };
        const parsed = WebEventFields.safeParse(raw);
        if (!parsed.success) continue;
        // Times around the visit's start and across an hour's end, some shared.
        const at = visitStartBase + (generator.int(5) - 1) * 13 * 60_000;
        events.push({ event: parsed.data, page: parsed.data.url, at });
      }
      if (events.length === 0) continue;
      const request: RequestFields = {
        siteId: "0193a6b0-1111-7222-8333-444455556666",
        siteDomain: "example.com",
        visitorId: String(-1234567890123456789n + BigInt(run)),
        visitStart: visitStartBase + generator.int(3) * 7 * 60_000,
        agent:
          generator.int(2) === 0
            ? agentOf("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
            : { browser: "a\tb", os: null, device: "desktop" },
      };
      const made = webEventRows(request, events);
      const ids = made.rows
        .split("\n")
        .slice(0, -1)
        .map((line) => line.split("\t")[0] as string);
      expect(new Set(ids).size).toBe(events.length);
      expect({ rows: made.rows, hours: made.hours.toSorted() }).toEqual(reference(request, events, ids));
    }
  });
});

describe("the user agent cache", () => {
  test("answers as isbot and agentOf do, for agents it has seen and for new ones", () => {
    const clients = createClientCache();
    const agents = [
      "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
      "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
      "",
      "x".repeat(600),
    ];
    expect(agents.map((agent) => isbot(agent))).toContain(true);
    for (const agent of [...agents, ...agents]) {
      expect(clients(agent)).toEqual({ bot: isbot(agent), agent: agentOf(agent) });
    }
  });
});
