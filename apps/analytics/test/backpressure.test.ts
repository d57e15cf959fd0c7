import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { queryRows } from "@lodge/db";
import { eventually } from "@lodge/kit/testing";
import { sql } from "drizzle-orm";
import { readBacklog } from "../src/helpers/ingest-backlog";
import { ingestStreams } from "../src/helpers/ingest-stream";
import { createSite } from "./fixtures";
import { startTestAnalytics, type TestAnalytics } from "./harness";

/**
 * The ingest's backpressure on real Redis and Postgres: the main instance runs no writer, so what
 * it accepts stays in the stream until the test starts a writer instance. The backlog is read by
 * hand (`refresh`: what the instance's timer does every 250 ms) rather than waited for.
 */
let t: TestAnalytics;
let site: { id: string; siteKey: string; domain: string };
beforeAll(async () => {
  t = await startTestAnalytics({ writer: false, jobs: false, env: { ANALYTICS_MAX_BACKLOG: "2" } });
  site = await createSite(t);
});
afterAll(() => t.close());

/** A request of two pageviews marked `marker`. */
const send = (marker: string) =>
  t.call("POST", "/analytics/events", {
    body: JSON.stringify({
      siteKey: site.siteKey,
      events: [1, 2].map((n) => ({ name: "pageview", url: `https://${site.domain}/${n}`, props: { m: marker } })),
    }),
    headers: { "content-type": "application/json", "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0" },
  });

const backlog = () => readBacklog(t.redis, ingestStreams(t.prefix));

/** Starts a writer instance, waits until it has written every queued entry, stops it. */
async function drain() {
  const writer = await t.startInstance({ writer: true });
  try {
    await eventually(async () => (await backlog()) === 0);
  } finally {
    await writer.close();
  }
}

/** The stored events of the site per marker. */
const storedPerMarker = async () =>
  Object.fromEntries(
    (
      await queryRows<{ marker: string; count: number }>(
        t.db,
        sql`select props->>'m' as marker, count(*)::int as count from analytics.events where site_id = ${site.id} group by 1`,
      )
    ).map(({ marker, count }) => [marker, count]),
  );

describe("ingest backpressure (ANALYTICS_MAX_BACKLOG)", () => {
  test("at the bound the ingest answers 503 with Retry-After and queues nothing; once the writer has caught up it accepts again; every 202 is stored", async () => {
    expect((await send("first")).status).toBe(202);
    expect(await t.deps.ingestBacklog.refresh()).toBe(1);
    expect((await send("second")).status).toBe(202);
    expect(await t.deps.ingestBacklog.refresh()).toBe(2);

    const refused = await send("refused");
    expect([refused.status, refused.json.error.code, refused.headers.get("retry-after")]).toEqual([503, "UNAVAILABLE", "1"]);
    expect(typeof refused.json.error.requestId).toBe("string");
    expect(await backlog()).toBe(2);
    expect((await t.call("GET", "/metrics")).text).toMatch(/^analytics_ingest_refused_total(\{[^}]*\})? 1$/m);

    await drain();
    expect(await t.deps.ingestBacklog.refresh()).toBe(0);
    expect((await send("after")).status).toBe(202);
    await drain();

    expect(await storedPerMarker()).toEqual({ first: 2, second: 2, after: 2 });
  });
});
