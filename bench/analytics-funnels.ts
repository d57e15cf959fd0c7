/**
 * `bun run bench:analytics-funnels`: funnels and retention over a month of events, measured in one
 * run on the same machine (see DESIGN.md, "Performance"):
 *   (a) ANALYTICS_BENCH_EVENTS web events of one site (250,000 by default: visits of 1 to 6 events
 *       over 6 pages, a signup with a plan in some) and as many product events (users who register
 *       and then upload files, run AI jobs, export reports), over March 2026, generated in Postgres;
 *   (b) through the service's app (an admin's token checked): a 3-step site funnel within a visit
 *       and within 1 hour, a 3-step product funnel within 7 days, weekly retention; p50 and p90
 *       over BENCH_ROUNDS (10) rounds, each as a ratio to the baseline of the same run: a count of
 *       the rows the query reads (the site's month, or the product events' month).
 * Knobs (env): ANALYTICS_BENCH_EVENTS, BENCH_ROUNDS.
 */
import { sites } from "@lodge/db/schema";
import { percentile, startBenchAnalytics } from "./lib/analytics-service";
import { setting } from "./lib/settings";

const settings = { events: Math.round(setting("ANALYTICS_BENCH_EVENTS", 250_000)), rounds: Math.round(setting("BENCH_ROUNDS", 10)) };
const log = (message: string) => console.error(`[bench:analytics-funnels] ${message}`);

async function main() {
  const { database, issuer, service, sql, stop } = await startBenchAnalytics();
  try {
    const [site] = await database.db.insert(sites).values({ domain: "bench.example", name: "Bench", siteKey: "bench-key" }).returning();
    if (!site) throw new Error("no site");

    // (a) Web events: visits of 1–6 events, 45 s apart, over March; a visitor makes three visits a day.
    const visits = Math.ceil(settings.events / 3.5);
    const started = performance.now();
    await sql`insert into analytics.events (id, ts, site_id, name, visitor_id, visit_start, hostname, pathname, props)
      select gen_random_uuid(), visit.start + event.n * interval '45 seconds', ${site.id}::uuid,
        case when event.n % 5 = 4 then 'signup' else 'pageview' end,
        (visit.id / 3) * 100 + extract(day from visit.start)::int, visit.start, 'bench.example',
        (array['/', '/pricing', '/pricing/team', '/docs', '/blog/post', '/about'])[1 + (visit.id * 7 + event.n * 13) % 6],
        case when event.n % 5 = 4 then jsonb_build_object('plan', (array['pro', 'free'])[1 + visit.id % 2]) else '{}'::jsonb end
      from (select id, '2026-03-01T00:00:00Z'::timestamptz + (id::float8 / ${visits}) * interval '30 days' as start
            from generate_series(0, ${visits - 1}) as id) visit
      cross join lateral generate_series(0, visit.id % 6) as event(n)`;
    // Product events: users registering over March, each then doing 0 to 20 things over the next days.
    const users = Math.ceil(settings.events / 10.5);
    await sql`insert into analytics.events (id, ts, user_id, name, props)
      select gen_random_uuid(), least(member.registered + event.n * interval '7 hours', '2026-03-31T11:00:00Z'::timestamptz), member.id,
        case when event.n = 0 then 'user.registered' else (array['file.uploaded', 'ai.job_completed', 'Report Exported'])[1 + (member.n * 5 + event.n) % 3] end,
        case when event.n > 0 and (member.n * 5 + event.n) % 3 = 1 then jsonb_build_object('status', (array['succeeded', 'failed'])[1 + event.n % 2]) else '{}'::jsonb end
      from (select n, gen_random_uuid() as id, '2026-03-01T00:00:00Z'::timestamptz + (n::float8 / ${users}) * interval '30 days' as registered
            from generate_series(0, ${users - 1}) as n) member
      cross join lateral generate_series(0, member.n % 21) as event(n)`;
    await sql`analyze analytics.events`;
    const [{ web, product }] =
      (await sql`select count(*) filter (where site_id is not null)::int as web, count(*) filter (where site_id is null)::int as product
      from analytics.events`) as [{ web: number; product: number }];
    log(`${web} web and ${product} product events generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // (b) Through the app, each against a count of the rows it reads.
    const token = (await issuer.admin()).token;
    const request = async (method: string, path: string, body?: unknown) => {
      const response = await service.app.fetch(
        new Request(`http://bench${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
      );
      if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return response.json();
    };
    const shop = [{ page: "/" }, { page: "/pricing**" }, { event: "signup", props: { plan: "pro" } }];
    const period = { period: "custom", from: "2026-03-01", to: "2026-03-31" };
    const cases: { name: string; run: () => Promise<unknown>; baseline: () => Promise<unknown> }[] = [
      {
        name: "site funnel, visit",
        run: () => request("POST", `/analytics/sites/${site.id}/funnels`, { steps: shop, ...period }),
        baseline: () => sql`select count(*) from analytics.events where site_id = ${site.id} and ts >= '2026-03-01' and ts < '2026-04-01'`,
      },
      {
        name: "site funnel, 1h",
        run: () => request("POST", `/analytics/sites/${site.id}/funnels`, { steps: shop, window: "1h", ...period }),
        baseline: () => sql`select count(*) from analytics.events where site_id = ${site.id} and ts >= '2026-03-01' and ts < '2026-04-01'`,
      },
      {
        name: "product funnel, 7d",
        run: () =>
          request("POST", "/analytics/funnels", {
            steps: [{ event: "user.registered" }, { event: "file.uploaded" }, { event: "ai.job_completed", props: { status: "succeeded" } }],
            window: "7d",
            from: "2026-03-01",
            to: "2026-03-31",
          }),
        baseline: () => sql`select count(*) from analytics.events where site_id is null and ts >= '2026-03-01' and ts < '2026-04-01'`,
      },
      {
        name: "retention, weekly",
        run: () => request("GET", "/analytics/retention?cohort=week&from=2026-03-01&to=2026-03-31"),
        baseline: () => sql`select count(*) from analytics.events where site_id is null and ts >= '2026-03-01' and ts < '2026-04-01'`,
      },
    ];
    const shown = (await request("POST", `/analytics/sites/${site.id}/funnels`, { steps: shop, ...period })) as { steps: { visitors: number }[] };
    log(`site funnel: ${shown.steps.map((step) => step.visitors).join(" → ")} visitors`);

    console.log(
      `\nbench:analytics-funnels: ${web.toLocaleString("en")} web events (one site) and ${product.toLocaleString("en")} product events over March 2026\n`,
    );
    console.log("query                 p50 / p90 (ms)     baseline count p50 (ms)   ratio (p50)");
    for (const { name, run, baseline } of cases) {
      const [times, counts]: [number[], number[]] = [[], []];
      for (let round = 0; round < settings.rounds + 1; round++) {
        let begun = performance.now();
        await run();
        const ms = performance.now() - begun;
        begun = performance.now();
        await baseline();
        // The first round warms up (prepared statements, caches).
        if (round > 0) [times.push(ms), counts.push(performance.now() - begun)];
      }
      const [p50, p90, base] = [percentile(times, 0.5), percentile(times, 0.9), percentile(counts, 0.5)];
      console.log(
        `${name.padEnd(20)} ${p50.toFixed(1).padStart(7)} / ${p90.toFixed(1).padStart(7)}    ${base.toFixed(1).padStart(10)}             ${(p50 / base).toFixed(1)}x`,
      );
    }
  } finally {
    await stop();
  }
}

await main();
