/**
 * `bun run bench:analytics-queries`: the dashboard's queries over a month of one site's events,
 * with the rollups and without them, measured in one run on the same machine (see DESIGN.md,
 * "Performance"):
 *   (a) ANALYTICS_BENCH_EVENTS events (1,000,000 by default; the figure is 5,000,000) over
 *       30 days of a Europe/Berlin site (visits of 1 to 6 events, 200 pages, a DST change inside),
 *       generated in Postgres with generate_series, their hours marked dirty; the rollup of the
 *       whole month (rollUp, as the job runs it) is timed;
 *   (b) GET stats, timeseries (days) and breakdown/pages for the 30 days through the service's app
 *       (an admin's token checked, the site read), p50 and p90 over BENCH_ROUNDS (30) rounds, then
 *       the same three with a filter that matches every event (`name!=__none__`), which makes them
 *       read the raw events (BENCH_RAW_ROUNDS, 5): the ratio raw / rollups, and the three together
 *       (one dashboard load) against the target p50 ≤ 100 ms. Both answer the same figures (checked).
 * Knobs (env): ANALYTICS_BENCH_EVENTS, BENCH_ROUNDS, BENCH_RAW_ROUNDS.
 */
import { sites } from "@lodge/db/schema";
import { rollUp } from "../apps/analytics/src/helpers/rollups";
import { percentile, startBenchAnalytics } from "./lib/analytics-service";
import { setting } from "./lib/settings";

const settings = {
  events: Math.round(setting("ANALYTICS_BENCH_EVENTS", 1_000_000)),
  rounds: Math.round(setting("BENCH_ROUNDS", 30)),
  rawRounds: Math.round(setting("BENCH_RAW_ROUNDS", 5)),
};
const log = (message: string) => console.error(`[bench:analytics-queries] ${message}`);
const PERIOD = "period=custom&from=2026-03-01&to=2026-03-30";

async function main() {
  const { database, issuer, service, sql, stop } = await startBenchAnalytics();
  try {
    const { db } = database;
    const [site] = await db.insert(sites).values({ domain: "bench.example", name: "Bench", siteKey: "bench-key", timeZone: "Europe/Berlin" }).returning();
    if (!site) throw new Error("no site");

    // (a) Visits of 1–6 events (3.5 on average), 45 s apart, spread evenly over the month; a visitor makes three in a row.
    const visits = Math.ceil(settings.events / 3.5);
    let started = performance.now();
    await sql`insert into analytics.events (id, ts, site_id, name, visitor_id, visit_start, hostname, pathname, source, browser, os, device, screen_width, props)
      select gen_random_uuid(), visit.start + event.n * interval '45 seconds', ${site.id}::uuid,
        case when event.n % 5 = 4 then 'signup' else 'pageview' end,
        -- The daily salt: the same person is another visitor on another local day.
        (visit.id / 3) * 100 + extract(day from (visit.start + event.n * interval '45 seconds') at time zone 'Europe/Berlin')::int, visit.start, 'bench.example',
        '/page/' || ((visit.id * 7 + event.n * 13) % 200), (array['Google', 'Twitter', null, 'Bing', 'Newsletter'])[1 + visit.id % 5],
        (array['Chrome', 'Firefox', 'Safari', 'Edge'])[1 + visit.id % 4], (array['Windows', 'macOS', 'Linux', 'iOS', 'Android'])[1 + visit.id % 5],
        (array['desktop', 'mobile', 'tablet'])[1 + visit.id % 3], (array[390, 820, 1280, 1920])[1 + visit.id % 4]::smallint, '{}'::jsonb
      from (select id, '2026-02-28T23:00:00Z'::timestamptz + (id::float8 / ${visits}) * interval '29 days 23 hours' as start
            from generate_series(0, ${visits - 1}) as id) visit
      cross join lateral generate_series(0, visit.id % 6) as event(n)`;
    await sql`insert into analytics.rollup_dirty (site_id, hour) select distinct site_id, date_trunc('hour', ts, 'UTC') from analytics.events`;
    await sql`analyze analytics.events`;
    const [{ count }] = (await sql`select count(*)::int as count from analytics.events`) as [{ count: number }];
    await sql.close();
    log(`${count} events generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    started = performance.now();
    const rolled = await rollUp(db, { batchHours: 200, maxBatches: 1000 });
    const rollupSeconds = (performance.now() - started) / 1000;
    log(`${rolled.recomputed} hours rolled up in ${rollupSeconds.toFixed(1)} s`);

    // (b) The three queries of a dashboard load, through the app.
    const token = (await issuer.admin()).token;
    const get = async (path: string) => {
      const response = await service.app.fetch(
        new Request(`http://bench/analytics/sites/${site.id}/${path}`, { headers: { authorization: `Bearer ${token}` } }),
      );
      if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as { rolledUp?: boolean; results: unknown };
    };
    const queries = { stats: `stats?${PERIOD}`, timeseries: `timeseries?${PERIOD}&interval=day`, "top pages": `breakdown/pages?${PERIOD}&limit=10` };
    const measure = async (rounds: number, filter: string) => {
      const times: Record<string, number[]> = { stats: [], timeseries: [], "top pages": [], dashboard: [] };
      for (let round = 0; round < rounds + 1; round++) {
        let total = 0;
        for (const [name, path] of Object.entries(queries)) {
          const begun = performance.now();
          await get(`${path}${filter}`);
          const ms = performance.now() - begun;
          total += ms;
          // The first round warms up (prepared statements, caches).
          if (round > 0) times[name]?.push(ms);
        }
        if (round > 0) times.dashboard?.push(total);
      }
      return times;
    };
    const rollups = await measure(settings.rounds, "");
    const raw = await measure(settings.rawRounds, "&name!=__none__");
    const [fromRollups, fromEvents] = [
      JSON.stringify((await get(queries.stats)).results),
      JSON.stringify((await get(`${queries.stats}&name!=__none__`)).results),
    ];
    const same = fromRollups === fromEvents;
    if (!same) log(`rollups ${fromRollups}\nevents  ${fromEvents}`);

    console.log(`\nbench:analytics-queries: ${count.toLocaleString("en")} events over 30 days, one site (Europe/Berlin)`);
    console.log(
      `rollup of the month: ${rolled.recomputed} hours in ${rollupSeconds.toFixed(1)} s (${Math.round(count / rollupSeconds).toLocaleString("en")} events/s)`,
    );
    console.log(`same figures with and without rollups: ${same ? "yes" : "NO"}\n`);
    console.log("query        rollups p50 / p90 (ms)   raw p50 / p90 (ms)   raw / rollups (p50)");
    for (const name of Object.keys(rollups)) {
      const [fast = [], slow = []] = [rollups[name], raw[name]];
      const cells = [percentile(fast, 0.5), percentile(fast, 0.9), percentile(slow, 0.5), percentile(slow, 0.9)].map((ms) => ms.toFixed(1).padStart(8));
      console.log(
        `${name.padEnd(12)} ${cells[0]} / ${cells[1]}      ${cells[2]} / ${cells[3]}    ${(percentile(slow, 0.5) / percentile(fast, 0.5)).toFixed(1)}x`,
      );
    }
    const p50 = percentile(rollups.dashboard ?? [], 0.5);
    console.log(
      `\ndashboard load (stats + timeseries + top pages) with rollups: p50 ${p50.toFixed(1)} ms (target ≤ 100 ms: ${p50 <= 100 ? "met" : "NOT met"})`,
    );
  } finally {
    await stop();
  }
}

await main();
