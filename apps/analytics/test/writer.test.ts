import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createDatabase, type Db, queryRows } from "@lodge/db";
import { sites } from "@lodge/db/schema";
import type { StreamEntry } from "@lodge/kit";
import { eventually } from "@lodge/kit/testing";
import { sql } from "drizzle-orm";
import { dirtyHours, type EventRow, eventCopyRow } from "../src/helpers/event-row";
import { createEventStore, INGEST_GROUP, queuedEvents } from "../src/helpers/event-writer";
import { ingestStream, ingestStreams, JSON_ROWS_FIELD, jsonIngestStream, queueEventRows } from "../src/helpers/ingest-stream";
import { ensurePartitions } from "../src/helpers/partitions";
import { createSite, webEvent } from "./fixtures";
import { startTestAnalytics, type TestAnalytics } from "./harness";

/**
 * The ingest writer on Postgres: batches are COPYed straight into the events, or (an entry
 * delivered again, a site deleted meanwhile) into a staging table and moved into the events in
 * the same transaction. The main instance runs no writer: entries are put in the stream here and
 * a writer instance started when the test wants them written.
 */
let t: TestAnalytics;
let stream: string;
beforeAll(async () => {
  t = await startTestAnalytics({ writer: false, jobs: false, env: { ANALYTICS_WRITER_CLAIM_IDLE_MS: "50" } });
  stream = ingestStream(t.prefix);
});
afterAll(() => t.close());

/** Queues rows as the ingest does (COPY rows and their dirty hours). */
const queue = (rows: EventRow[]) => queueEventRows(t.redis, t.prefix, rows);
/** Queues an entry as the ingest did before (one JSON field, in the stream of then), or any text in that field. */
const queueJson = (rows: unknown) => t.redis.xadd(jsonIngestStream(t.prefix), "*", JSON_ROWS_FIELD, typeof rows === "string" ? rows : JSON.stringify(rows));
/** The entries in the stream, as the writer reads them (values as bytes). */
const entriesInStream = async () =>
  ((await t.redis.xrange(stream, "-", "+")) as [string, string[]][]).map(
    ([id, fields]): StreamEntry<Buffer> => [id, fields.map((field) => Buffer.from(field))],
  );

/** The rollup hours marked dirty for a site, with their versions. */
const marksOf = (siteId: string) =>
  queryRows<{ hour: string; version: number }>(
    t.db,
    sql`select to_char(hour at time zone 'UTC', 'HH24:MI') as hour, version::int from analytics.rollup_dirty where site_id = ${siteId} order by hour`,
  );

/** Starts a writer, waits until both streams are empty, stops it. */
async function drain() {
  const writer = await t.startInstance({ writer: true });
  try {
    await eventually(async () => (await Promise.all(ingestStreams(t.prefix).map((key) => t.redis.xlen(key)))).every((length) => length === 0));
  } finally {
    await writer.close();
  }
}

/** The stored events of a site as EventRow (timestamps in ISO 8601, UTC). */
const storedOf = (siteId: string) =>
  queryRows<EventRow>(
    t.db,
    sql`select id::text, to_char(ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ts, site_id::text, user_id::text, name,
          visitor_id::text, to_char(visit_start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as visit_start, hostname, pathname,
          referrer, source, utm_medium, utm_campaign, utm_content, utm_term, browser, os, device, screen_width, props
        from analytics.events where site_id = ${siteId} order by id`,
  );

/** Text that could end a COPY field or row early, read as an escape or null, or lose characters. */
const hostile = [
  "tab\there",
  "new\nline",
  "cr\rlf\r\n",
  "back\\slash\\",
  "\\N",
  "\\.",
  "\\t",
  "",
  "ünï 日本 😀 \u2028 e\u0301",
  "'; drop table analytics.events; --",
];

/** One web event per hostile text, the text in every text column (or null in some) and in its props. */
const hostileRows = (siteId: string) =>
  hostile.map((text, index) =>
    webEvent(siteId, `2026-03-10T09:${String(index).padStart(2, "0")}:00.000Z`, {
      name: text || "empty",
      hostname: text,
      pathname: `/${text}`,
      referrer: index % 2 === 0 ? text : null,
      source: text,
      utm_medium: index % 2 === 0 ? null : text,
      utm_campaign: text,
      utm_content: text,
      utm_term: text,
      browser: text,
      os: text,
      device: text,
      screen_width: index === 0 ? null : index,
      props: { [text || "empty"]: text, plain: "x" },
    }),
  );

const byId = (rows: EventRow[]) => rows.toSorted((a, b) => a.id.localeCompare(b.id));

describe("the ingest writer", () => {
  test("hostile text in every text column and in props is stored exactly, from entries in COPY rows and from JSON entries queued before them", async () => {
    const site = await createSite(t);
    const rows = hostileRows(site.id);
    await queue(rows.slice(0, 4));
    await queueJson(rows.slice(4));
    await drain();
    expect(await storedOf(site.id)).toEqual(byId(rows));
  });

  test("a batch COPYed straight in marks each hour its events touch (its own and its visit's first) once, as the careful way does", async () => {
    const site = await createSite(t);
    await queue([
      webEvent(site.id, "2026-03-10T09:10:00.000Z", { visit_start: "2026-03-10T08:50:00.000Z" }),
      webEvent(site.id, "2026-03-10T09:20:00.000Z", { visit_start: "2026-03-10T08:50:00.000Z" }),
    ]);
    await queueJson([webEvent(site.id, "2026-03-10T11:59:59.999Z")]);
    await drain();
    expect(await marksOf(site.id)).toEqual([
      { hour: "08:00", version: 1 },
      { hour: "09:00", version: 1 },
      { hour: "11:00", version: 1 },
    ]);
  });

  test("a batch with an entry delivered again is stored the careful way: the new events once, nothing counted twice, no hour marked again", async () => {
    const site = await createSite(t);
    const first = [webEvent(site.id, "2026-03-10T09:10:00.000Z"), webEvent(site.id, "2026-03-10T09:20:00.000Z")];
    await queue(first);
    const [delivered] = await entriesInStream();
    await drain();
    expect(await marksOf(site.id)).toEqual([{ hour: "09:00", version: 1 }]);
    // The same entry again (its writer died before acknowledging it), in a batch with a new one.
    const again = [webEvent(site.id, "2026-03-10T10:05:00.000Z")];
    await queue(again);
    const [added] = await entriesInStream();
    if (!delivered || !added) throw new Error("not queued");
    // Stored here, by this test's own store, so the stream is left as it was.
    await t.redis.xdel(stream, added[0]);
    const batch = [delivered, added].map(queuedEvents);
    const store = createEventStore(t.db);
    expect(await store(batch)).toBe(1);
    expect(await store(batch)).toBe(0);
    expect((await storedOf(site.id)).map(({ id }) => id)).toEqual([...first, ...again].map(({ id }) => id));
    expect(await marksOf(site.id)).toEqual([
      { hour: "09:00", version: 1 },
      { hour: "10:00", version: 1 },
    ]);
  });

  test("on PGlite (development), batches are COPYed too: the same rows stored, an entry delivered again counted once", async () => {
    const pglite = await createDatabase({});
    try {
      await pglite.migrate();
      const db: Db = pglite.db;
      await ensurePartitions(db, new Date("2026-03-01T00:00:00.000Z"), new Date("2026-03-01T00:00:00.000Z"));
      const [site] = await db.insert(sites).values({ domain: "pglite.example.com", name: "PGlite", siteKey: "pglite-key" }).returning();
      if (!site) throw new Error("no site");
      const rows = hostileRows(site.id);
      const store = createEventStore(db);
      const copied = { rows: Buffer.from(rows.slice(0, 4).map(eventCopyRow).join("")), hours: dirtyHours(rows.slice(0, 4)) };
      const fromJson = queuedEvents(["0-1", [Buffer.from(JSON_ROWS_FIELD), Buffer.from(JSON.stringify(rows.slice(4)))]]);
      expect(await store([copied, fromJson])).toBe(rows.length);
      expect(await store([fromJson])).toBe(0);
      const [count] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from analytics.events where site_id = ${site.id}`);
      expect(count?.n).toBe(rows.length);
    } finally {
      await pglite.close();
    }
  });

  test("an entry Postgres refuses (a NUL character) and one that is not events are dropped alone and logged; the batch's others are stored", async () => {
    const site = await createSite(t);
    const good = [webEvent(site.id, "2026-03-10T09:00:00.000Z"), webEvent(site.id, "2026-03-10T09:01:00.000Z")];
    await queue([good[0] as EventRow]);
    await queue([webEvent(site.id, "2026-03-10T09:02:00.000Z"), webEvent(site.id, "2026-03-10T09:03:00.000Z", { source: "nul\u0000" })]);
    await queueJson("not json");
    await queueJson({ not: "an array" });
    await queueJson([good[1]]);
    const logged = t.logLines.length;
    await drain();
    expect((await storedOf(site.id)).map(({ id }) => id)).toEqual(good.map(({ id }) => id));
    const refusals = t.logLines.slice(logged).filter((line) => line.msg === "ingest entry refused by Postgres, dropped");
    expect(refusals).toHaveLength(3);
  });

  test("a writer that dies between its COPY and its commit stores nothing; the batch is delivered again and stored once", async () => {
    const site = await createSite(t);
    const rows = Array.from({ length: 50 }, (_, n) => webEvent(site.id, "2026-03-10T09:30:00.000Z", { pathname: `/${n}` }));
    await queue(rows.slice(0, 25));
    await queue(rows.slice(25));
    // Holding the site's row makes the writer wait after its COPY (its KEY SHARE lock of live sites waits for this).
    await t.db.transaction(async (tx) => {
      await tx.execute(sql`select 1 from analytics.sites where id = ${site.id} for update`);
      const doomed = await t.startInstance({ writer: true });
      const waiting = await eventually(async () => {
        const [backend] = await queryRows<{ pid: number }>(
          t.db,
          sql`select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%for key share%'`,
        );
        return backend?.pid;
      });
      // The instance goes down, and its transaction with it (as when the process is killed).
      const closing = doomed.close();
      await tx.execute(sql`select pg_terminate_backend(${waiting})`);
      await closing;
      expect(await storedOf(site.id)).toEqual([]);
    });
    expect(await t.redis.xlen(stream)).toBe(2);
    // Another instance's writer takes the entries over (the dead one's were pending), and a copy of one written meanwhile counts once.
    await queue(rows.slice(0, 25));
    await drain();
    expect((await storedOf(site.id)).map(({ pathname }) => pathname).toSorted()).toEqual(rows.map(({ pathname }) => pathname).toSorted());
    expect(((await t.redis.xpending(stream, INGEST_GROUP)) as [number])[0]).toBe(0);
    const marks = await queryRows<{ version: number }>(t.db, sql`select version::int from analytics.rollup_dirty where site_id = ${site.id}`);
    expect(marks).toEqual([{ version: 1 }]);
  });
});
