import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { queryRows } from "@lodge/db";
import { eventually } from "@lodge/kit/testing";
import { sql } from "drizzle-orm";
import { INGEST_GROUP } from "../src/helpers/event-writer";
import { ingestStream } from "../src/helpers/ingest-stream";
import { createSite } from "./fixtures";
import { startTestAnalytics, type TestAnalytics } from "./harness";

/**
 * The instance answering here runs no writer: what it accepts waits in the stream, as it would
 * if the service died between the 202 and the commit. Writers started later take it from there.
 */
let t: TestAnalytics;
let stream: string;
beforeAll(async () => {
  // No jobs: the rollups job would clear the dirty marks the first test looks at, whenever it ran.
  t = await startTestAnalytics({ writer: false, jobs: false, env: { ANALYTICS_WRITER_CLAIM_IDLE_MS: "50" } });
  stream = ingestStream(t.prefix);
});
afterAll(() => t.close());

const send = (siteKey: string, path: string) =>
  t.call("POST", "/analytics/events", {
    body: { siteKey, name: "pageview", url: `https://example.com${path}` },
    headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0" },
  });

const countOf = async (siteId: string) =>
  (await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from analytics.events where site_id = ${siteId}`))[0]?.n ?? 0;

describe("nothing accepted is lost, nothing is counted twice", () => {
  test("entries read by a writer that died before its commit are taken over by another instance's writer and stored once", async () => {
    const site = await createSite(t);
    for (const path of ["/a", "/b", "/c"]) expect((await send(site.siteKey, path)).status).toBe(202);
    expect(await t.redis.xlen(stream)).toBe(3);
    // A writer reads them and dies: pending, owned by it, never acknowledged.
    await t.redis.xgroup("CREATE", stream, INGEST_GROUP, "0", "MKSTREAM").catch(() => {});
    const read = (await t.redis.xreadgroup("GROUP", INGEST_GROUP, "dead-instance", "COUNT", 10, "STREAMS", stream, ">")) as [string, [string, string[]][]][];
    const entries = read[0]?.[1] ?? [];
    expect(entries).toHaveLength(3);
    // The same entry queued twice (written twice by writers racing for it) is still one row.
    await t.redis.xadd(stream, "*", ...(entries[0]?.[1] ?? []));

    const other = await t.startInstance({ writer: true });
    try {
      await eventually(async () => (await t.redis.xlen(stream)) === 0);
      expect(await countOf(site.id)).toBe(3);
      expect(((await t.redis.xpending(stream, INGEST_GROUP)) as [number])[0]).toBe(0);
      // The hours they touched were marked dirty once each, not again by the duplicate.
      const marks = await queryRows<{ version: number }>(t.db, sql`select version::int from analytics.rollup_dirty where site_id = ${site.id}`);
      expect(marks).toEqual([{ version: 1 }]);
    } finally {
      await other.close();
    }
  });

  test("a site deleted while its events wait in the stream: they are skipped, not stored back", async () => {
    const site = await createSite(t);
    const admin = await t.issuer.admin();
    expect((await send(site.siteKey, "/gone")).status).toBe(202);
    expect((await t.call("DELETE", `/analytics/sites/${site.id}`, { token: admin.token })).status).toBe(204);
    const kept = await createSite(t);
    expect((await send(kept.siteKey, "/kept")).status).toBe(202);
    const other = await t.startInstance({ writer: true });
    try {
      await eventually(async () => (await t.redis.xlen(stream)) === 0);
      expect(await countOf(kept.id)).toBe(1);
      expect(await countOf(site.id)).toBe(0);
    } finally {
      await other.close();
    }
  });
});
