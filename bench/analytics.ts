/**
 * `bun run bench:analytics`: the tracker's ingest end to end, against Postgres's own speed at
 * storing the same rows, measured in one run on the same machine (see DESIGN.md, "Performance"):
 *   (a) baseline: ANALYTICS_BENCH_COPY_ROWS (200,000) rows shaped as the ingest stores them,
 *       written with COPY FROM STDIN through the `postgres` driver into the same table: rows/s;
 *   (b) the service as its own process (apps/analytics/src/main.ts, its writer running), driven
 *       by `wrk` (else fetch loops) with BENCH_CONNECTIONS (32) keep-alive connections for
 *       BENCH_SECONDS (15), each request a batch of 100 pageviews: events/s accepted (202), and
 *       events/s stored (from the first request until the stream is drained and every accepted
 *       event is a row), each as a ratio to (a) (issue's targets: ≥ 50,000 events/s stored and
 *       ≥ 0.30 of raw COPY);
 *   (c) during (b), a probe every 50 ms (one event of another site) and the time until it can be
 *       read in Postgres: ingest-to-queryable lag p50 / p99 (a probe refused at ANALYTICS_MAX_BACKLOG
 *       is sent again; requests of (b) refused so count as errors);
 *   (d) the CPU time per 1,000 events stored during (b) of the service's process and of the
 *       database's Postgres backends (steadier than rates when other work shares the machine);
 *   (e) the rollup job's passes during (b), from its histogram on /metrics: how many, how long.
 * Knobs (env): ANALYTICS_BENCH_COPY_ROWS, BENCH_CONNECTIONS, BENCH_SECONDS, BENCH_DRIVER (wrk|fetch),
 * BENCH_PROFILE (a directory: the service writes a CPU profile there when it stops).
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { sites } from "@lodge/db/schema";
import { createTestDatabase } from "@lodge/db/testing";
import { createTestRedis, startTestIssuer } from "@lodge/kit/testing";
import postgres from "postgres";
import { type Driver, pickDriver, runLoad } from "./lib/load";
import { type Child, cpuMs, freePort, startProcess } from "./lib/processes";
import { root, setting } from "./lib/settings";

const settings = {
  copyRows: Math.round(setting("ANALYTICS_BENCH_COPY_ROWS", 200_000)),
  connections: Math.round(setting("BENCH_CONNECTIONS", 32)),
  seconds: setting("BENCH_SECONDS", 15),
};
const driver: Driver = pickDriver(process.env.BENCH_DRIVER, setting("BENCH_WRK_THREADS", 2));
// BENCH_PROFILE=<dir>: the service writes a CPU profile (and its markdown summary) there when it stops.
const profileFlags = process.env.BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
const log = (message: string) => console.error(`[bench:analytics] ${message}`);
const BATCH = 100;
const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
};
const format = (value: number) => Math.round(value).toLocaleString("en");

/** (a) COPY of rows as the ingest makes them (the same columns and values a pageview gets). */
async function rawCopy(url: string, siteId: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const start = new Date().toISOString();
    const line = (n: number) =>
      [
        Bun.randomUUIDv7(),
        start,
        siteId,
        "\\N",
        "pageview",
        String(-4_000_000_000_000 - n),
        start,
        "bench.example",
        `/page/${n % 200}`,
        "\\N",
        "\\N",
        "\\N",
        "\\N",
        "\\N",
        "\\N",
        "Firefox",
        "Linux",
        "desktop",
        "1280",
        "{}",
      ].join("\t");
    const chunks = function* () {
      for (let from = 0; from < settings.copyRows; from += 1000) {
        const lines: string[] = [];
        for (let n = from; n < Math.min(settings.copyRows, from + 1000); n++) lines.push(line(n));
        yield `${lines.join("\n")}\n`;
      }
    };
    const begun = performance.now();
    const copy = await sql`copy analytics.events (id, ts, site_id, user_id, name, visitor_id, visit_start, hostname, pathname, referrer, source,
      utm_medium, utm_campaign, utm_content, utm_term, browser, os, device, screen_width, props) from stdin`.writable();
    await pipeline(Readable.from(chunks()), copy);
    const seconds = (performance.now() - begun) / 1000;
    await sql`delete from analytics.events where site_id = ${siteId}`;
    // What those rows left for the rollup job (a trigger writes it since migration 0017, in one table since 0018): they are gone, so is their work.
    for (const table of ["rollup_pending", "rollup_pending_events", "rollup_pending_visits"])
      if ((await sql`select to_regclass(${`analytics.${table}`}) is not null as exists`)[0]?.exists)
        await sql`delete from ${sql(`analytics.${table}`)} where site_id = ${siteId}`;
    return settings.copyRows / seconds;
  } finally {
    await sql.end();
  }
}

async function main() {
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const redis = await createTestRedis();
    cleanups.push(() => redis.cleanup());
    const issuer = await startTestIssuer();
    cleanups.push(() => issuer.stop());
    const [site, probeSite] = await database.db
      .insert(sites)
      .values([
        { domain: "bench.example", name: "Bench", siteKey: "bench-key" },
        { domain: "probe.example", name: "Probe", siteKey: "probe-key" },
      ])
      .returning();
    if (!site || !probeSite) throw new Error("no site");

    const port = freePort();
    const children: Child[] = [];
    cleanups.push(() => Promise.all(children.map((child) => child.stop())));
    const service = await startProcess({
      name: "analytics",
      cmd: [process.execPath, ...profileFlags, "run", "apps/analytics/src/main.ts"],
      cwd: root,
      port,
      readyPath: "/ready",
      env: {
        ...process.env,
        NODE_ENV: "development",
        HOST: "127.0.0.1",
        PORT: String(port),
        LOG_LEVEL: "warn",
        DATABASE_URL: database.url,
        REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
        REDIS_PREFIX: redis.prefix,
        JWKS_URL: issuer.jwksUrl,
        ANALYTICS_RATE_PER_IP: "1000000000",
        ANALYTICS_RATE_PER_SITE: "1000000000",
      },
    });
    children.push(service);
    // After the service's boot: it creates this month's partition.
    log(`raw COPY of ${format(settings.copyRows)} rows...`);
    const copyRate = await rawCopy(database.url, site.id);
    // The ingest's streams: in COPY rows (since 2026-12-02) and in JSON (before), so one bench file measures both versions.
    const streams = [`${redis.prefix}analytics:ingest:copy`, `${redis.prefix}analytics:ingest`];
    const backlog = async () => (await Promise.all(streams.map((stream) => redis.redis.xlen(stream)))).reduce((sum, length) => sum + length, 0);
    const sql = postgres(database.url, { max: 2, onnotice: () => {} });
    cleanups.push(() => sql.end());
    const stored = async (siteId: string) => Number((await sql`select count(*)::int as n from analytics.events where site_id = ${siteId}`)[0]?.n ?? 0);

    const events = Array.from({ length: BATCH }, (_, n) => ({
      name: "pageview",
      url: `https://bench.example/page/${n % 20}?utm_source=bench`,
      screenWidth: 1280,
    }));
    // Warm-up: JIT, prepared statements, the site and salt caches.
    await runLoad(driver, {
      baseUrl: service.url,
      scenario: { kind: "static", method: "POST", path: "/analytics/events", body: { siteKey: site.siteKey, events }, headers: { "user-agent": firefox } },
      connections: 4,
      seconds: 2,
    });
    // Requests still in flight when the load stopped are answered (and queued) a moment later.
    await Bun.sleep(1000);
    while ((await backlog()) > 0) await Bun.sleep(20);
    await sql`delete from analytics.events where site_id = ${site.id}`;

    // (c) Probes: one event each, sent while the load runs, then polled for in Postgres.
    // A probe refused at ANALYTICS_MAX_BACKLOG (503) is sent again 50 ms later; its lag counts from the send that was accepted.
    const lags: number[] = [];
    let probesRefused = 0;
    let probing = true;
    const probes = (async () => {
      for (let n = 0; probing; n++) {
        const name = `probe-${n}`;
        let sent: number;
        for (;;) {
          sent = performance.now();
          const response = await fetch(`${service.url}/analytics/events`, {
            method: "POST",
            headers: { "content-type": "application/json", "user-agent": firefox },
            body: JSON.stringify({ siteKey: probeSite.siteKey, name, url: "https://probe.example/" }),
          });
          if (response.status === 202) break;
          if (response.status !== 503) throw new Error(`probe: ${response.status} ${await response.text()}`);
          probesRefused += 1;
          await Bun.sleep(50);
        }
        for (;;) {
          const [row] = await sql`select 1 from analytics.events where site_id = ${probeSite.id} and name = ${name}`;
          if (row) break;
          await Bun.sleep(2);
        }
        lags.push(performance.now() - sent);
        await Bun.sleep(50);
      }
    })();

    // (d) The service's and its database's backends' CPU so far (backends opened later start from 0).
    const backendsCpu = async () => {
      const pids = await sql`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
      return new Map(await Promise.all(pids.map(async ({ pid }) => [pid as number, await cpuMs(pid as number)] as const)));
    };
    const cpuBefore = { service: await cpuMs(service.pid), backends: await backendsCpu() };
    // The rollup job's passes so far (its histogram on /metrics): their count and summed duration.
    const rollupPasses = async () => {
      const text = await (await fetch(`${service.url}/metrics`)).text();
      const value = (name: string) => Number(text.match(new RegExp(`^analytics_rollup_pass_duration_seconds_${name}(?:\\{[^}]*\\})? (\\S+)$`, "m"))?.[1] ?? 0);
      return { count: value("count"), seconds: value("sum") };
    };
    const passesBefore = await rollupPasses();

    log(`${settings.connections} connections, batches of ${BATCH}, ${settings.seconds} s (${driver.kind})...`);
    const begun = performance.now();
    const load = await runLoad(driver, {
      baseUrl: service.url,
      scenario: { kind: "static", method: "POST", path: "/analytics/events", body: { siteKey: site.siteKey, events }, headers: { "user-agent": firefox } },
      connections: settings.connections,
      seconds: settings.seconds,
    });
    // Requests in flight when wrk stopped are answered too (uncounted): wait for them, then for the writer.
    await Bun.sleep(1000);
    const accepted = load.ok * BATCH;
    let drainedAt = performance.now();
    for (;;) {
      const [waiting, rows] = [await backlog(), await stored(site.id)];
      if (waiting === 0 && rows >= accepted) {
        drainedAt = performance.now();
        break;
      }
      await Bun.sleep(20);
    }
    const serviceCpu = (await cpuMs(service.pid)) - cpuBefore.service;
    const passesAfter = await rollupPasses();
    let postgresCpu = 0;
    for (const [pid, ms] of await backendsCpu()) postgresCpu += ms - (cpuBefore.backends.get(pid) ?? 0);
    probing = false;
    await probes;
    const rows = await stored(site.id);
    const storedRate = rows / ((drainedAt - begun) / 1000);
    const acceptedRate = load.rps * BATCH;

    console.log(
      `\nbench:analytics: ingest through HTTP in batches of ${BATCH}, ${settings.connections} connections, ${load.seconds.toFixed(1)} s (${driver.kind})`,
    );
    console.log(`raw COPY (postgres driver) of the same rows:  ${format(copyRate)} rows/s  (baseline)`);
    console.log(
      `accepted (202, queued in Redis):             ${format(acceptedRate)} events/s  ${(acceptedRate / copyRate).toFixed(3)} of raw COPY  (requests p50 ${load.p50Ms.toFixed(1)} ms, p99 ${load.p99Ms.toFixed(1)} ms, ${load.errors} errors${load.firstError ? `: ${load.firstError}` : ""})`,
    );
    console.log(
      `stored (until the stream was drained):        ${format(storedRate)} events/s  ${(storedRate / copyRate).toFixed(3)} of raw COPY  (${format(rows)} rows; ${format(accepted)} events answered within the measured time)`,
    );
    console.log(
      `ingest-to-queryable lag (${lags.length} probes):       p50 ${percentile(lags, 0.5).toFixed(0)} ms, p99 ${percentile(lags, 0.99).toFixed(0)} ms (from the accepted send; ${probesRefused} sends refused with 503)`,
    );
    console.log(
      `CPU per 1,000 events stored:                 service ${((serviceCpu * 1000) / rows).toFixed(1)} ms, Postgres backends ${((postgresCpu * 1000) / rows).toFixed(1)} ms`,
    );
    const passes = passesAfter.count - passesBefore.count;
    const passSeconds = passesAfter.seconds - passesBefore.seconds;
    console.log(
      `rollup passes during the run:               ${passes}, ${passSeconds.toFixed(1)} s in all (mean ${passes > 0 ? ((passSeconds / passes) * 1000).toFixed(0) : "-"} ms)`,
    );
    console.log(
      `targets: ≥ 50,000 events/s stored: ${storedRate >= 50_000 ? "met" : "NOT met"}; ≥ 0.30 of raw COPY: ${storedRate / copyRate >= 0.3 ? "met" : "NOT met"}`,
    );
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => log(`cleanup: ${error}`));
  }
}

await main();
