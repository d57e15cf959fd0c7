/**
 * `bun run bench:ai`: the AI gateway against the same local fake OpenAI upstream (the AI tests'
 * fake, bench/lib/openai-upstream.ts, a process of its own), measured in one run on the same
 * machine (see DESIGN.md, "Performance"):
 *   (a) chat completions per second at BENCH_CONNECTIONS (64) through Lodge (a user's bearer token
 *       checked, RPM/TPM/concurrency and budget admitted and settled in Redis, the call metered into
 *       the usage stream and written to Postgres in batches, the cache looked up and missed: every
 *       request's message is new) as a ratio to the same requests sent straight to the upstream
 *       (target ≥ 0.35), in alternating rounds;
 *   (b) the p50 Lodge adds at one connection (target ≤ 0.3 ms), alternating rounds;
 *   (c) the time to the first byte of a streamed answer, p50 through Lodge minus p50 direct
 *       (target ≤ 0.5 ms), BENCH_STREAMS sequential streams each way, interleaved;
 *   (d) the gateway's RSS over BENCH_RSS_SECONDS (60) of (a)'s load, sampled every second after its
 *       first 5 s (the heap growing into the load): its growth from the median of the first quarter
 *       of the samples to the median of the last quarter (target: none beyond noise, ≤ 5%). Medians, not the first and last sample: the
 *       RSS swings by a third with the collector's cycles, so two single samples say where in a
 *       cycle each fell, not whether the memory grew.
 * It also prints the gateway's CPU time per call in (a) and (b) (from /proc: steadier than rates
 * when other work shares the machine), beside the upstream's per direct call.
 * The gateway runs as `apps/ai/src/main.ts` in simple mode over the upstream, with limits set far
 * above the load (so every request is admitted, and still counted). Load comes from wrk when it is
 * installed, else from fetch loops in this process.
 *
 * Knobs (env): BENCH_SECONDS (10 per scenario, split over the rounds), BENCH_ROUNDS (4),
 * BENCH_WARMUP_SECONDS (3), BENCH_CONNECTIONS (64), BENCH_STREAMS (400), BENCH_RSS_SECONDS (60),
 * BENCH_DRIVER (wrk|fetch), BENCH_WRK_THREADS (2), BENCH_PROFILE_DIR (unset: when set, the gateway runs with
 * Bun's CPU profiler and writes its profile there, as .cpuprofile and Markdown, when it stops).
 */
import { createTestDatabase } from "@lodge/db/testing";
import { createTestRedis, startTestIssuer } from "@lodge/kit/testing";
import { type Driver, pickDriver, runLoad, type Scenario } from "./lib/load";
import { type Child, cpuMs, freePort, startProcess } from "./lib/processes";
import { add, emptyTotals, printTable, rate, type Totals } from "./lib/report";
import { root, setting } from "./lib/settings";

const settings = {
  seconds: setting("BENCH_SECONDS", 10),
  rounds: Math.round(setting("BENCH_ROUNDS", 4)),
  warmup: setting("BENCH_WARMUP_SECONDS", 3),
  connections: setting("BENCH_CONNECTIONS", 64),
  streams: Math.round(setting("BENCH_STREAMS", 400)),
  rssSeconds: setting("BENCH_RSS_SECONDS", 60),
};
const driver: Driver = pickDriver(process.env.BENCH_DRIVER, setting("BENCH_WRK_THREADS", 2));
const UPSTREAM_KEY = "sk-bench-upstream";
const log = (message: string) => console.error(`[bench:ai] ${message}`);

/** A chat request (cacheable: temperature 0). */
const chatBody = { model: "gpt-4o-mini", temperature: 0, messages: [{ role: "user", content: "Say something" }] };

/** The gateway's resident memory in MB, from /proc. */
async function rssMb(pid: number): Promise<number> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  return Number(status.match(/VmRSS:\s+(\d+) kB/)?.[1] ?? Number.NaN) / 1024;
}

/** Bun's flags that profile the gateway's CPU into `dir` (none when unset). */
const profilerFlags = (dir: string | undefined) => (dir ? ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${dir}`, "--cpu-prof-interval=250"] : []);

/** Milliseconds from sending a streamed chat request to the first byte of its body. */
async function firstByteMs(url: string, authorization: string, index: number): Promise<number> {
  const body = JSON.stringify({ ...chatBody, stream: true, messages: [{ role: "user", content: `Stream ${index}` }] });
  const started = performance.now();
  const response = await fetch(url, { method: "POST", headers: { authorization, "content-type": "application/json" }, body });
  if (response.status !== 200 || !response.body) throw new Error(`stream: ${response.status} ${await response.text()}`);
  const reader = response.body.getReader();
  await reader.read();
  const elapsed = performance.now() - started;
  while (!(await reader.read()).done) {
    // drain the rest, so the connection is reused
  }
  return elapsed;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

async function main() {
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch((error) => console.error("cleanup:", error));
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void cleanup().then(() => process.exit(130)));

  log(`driver: ${driver.kind === "wrk" ? `wrk (${driver.threads} threads)` : "fetch loops"}; ${navigator.hardwareConcurrency} cores; Bun ${Bun.version}`);
  const database = await createTestDatabase();
  cleanups.push(() => database.drop());
  const redis = await createTestRedis();
  cleanups.push(() => redis.cleanup());
  const issuer = await startTestIssuer();
  cleanups.push(() => issuer.stop());
  const user = await issuer.user();

  const upstreamPort = freePort();
  const gatewayPort = freePort();
  const children: Child[] = [];
  cleanups.push(() => Promise.all(children.map((child) => child.stop())));
  const upstream = await startProcess({
    name: "upstream",
    cmd: [process.execPath, "run", "bench/lib/openai-upstream.ts"],
    cwd: root,
    port: upstreamPort,
    readyPath: "/v1/models",
    readyHeaders: { authorization: `Bearer ${UPSTREAM_KEY}` },
    env: { ...process.env, PORT: String(upstreamPort), UPSTREAM_API_KEY: UPSTREAM_KEY },
  });
  children.push(upstream);
  const gateway = await startProcess({
    name: "ai",
    cmd: [process.execPath, ...profilerFlags(process.env.BENCH_PROFILE_DIR), "run", "apps/ai/src/main.ts"],
    cwd: root,
    port: gatewayPort,
    readyPath: "/ready",
    env: {
      ...process.env,
      NODE_ENV: "development",
      HOST: "127.0.0.1",
      PORT: String(gatewayPort),
      LOG_LEVEL: "warn",
      DATABASE_URL: database.url,
      REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      REDIS_PREFIX: redis.prefix,
      JWKS_URL: issuer.jwksUrl,
      OPENAI_API_KEY: UPSTREAM_KEY,
      OPENAI_BASE_URL: `${upstream.url}/v1`,
      AI_USER_RPM: "1000000000",
      AI_USER_TPM: "1000000000000",
      AI_USER_CONCURRENCY: "100000",
      AI_USER_DAILY_BUDGET_USD: "1000000000",
      AI_USER_MONTHLY_BUDGET_USD: "1000000000",
    },
  });
  children.push(gateway);

  const direct = { url: upstream.url, path: "/v1/chat/completions", authorization: `Bearer ${UPSTREAM_KEY}` };
  const lodge = { url: gateway.url, path: "/ai/v1/chat/completions", authorization: `Bearer ${user.token}` };
  /** Load runs so far. `{{n}}` numbers a run's requests from 1 again, so each run's messages also carry the run's number. */
  let runs = 0;
  /** A load whose every message is new (the run's number, then `{{n}}`): the cache is looked up and misses. */
  const scenario = (target: typeof direct): Scenario => ({
    kind: "static",
    method: "POST",
    path: target.path,
    body: { ...chatBody, messages: [{ role: "user", content: `Say something about request ${++runs}/{{n}}` }] },
    headers: { authorization: target.authorization },
    unique: true,
  });
  /** CPU ms the serving process used in measured rounds, by scenario. */
  const cpu: Record<string, number> = { direct64: 0, lodge64: 0, direct1: 0, lodge1: 0 };
  const load = (target: typeof direct, connections: number, seconds: number) =>
    runLoad(driver, { baseUrl: target.url, scenario: scenario(target), connections, seconds });
  /** `load`, adding what it cost the process serving it to `cpu[name]` when `measured`. */
  const measure = async (name: string, target: typeof direct, connections: number, seconds: number, measured: boolean) => {
    const pid = target === lodge ? gateway.pid : upstream.pid;
    const before = await cpuMs(pid);
    const result = await load(target, connections, seconds);
    if (measured) cpu[name] = (cpu[name] ?? 0) + (await cpuMs(pid)) - before;
    add(totals[name] as Totals, result, measured);
  };

  // (a) and (b): alternating rounds after one warm-up each.
  const perRound = Math.max(1, settings.seconds / settings.rounds);
  const totals: Record<string, Totals> = { direct64: emptyTotals(), lodge64: emptyTotals(), direct1: emptyTotals(), lodge1: emptyTotals() };
  for (let round = 0; round <= settings.rounds; round++) {
    const seconds = round === 0 ? settings.warmup : perRound;
    await measure("direct64", direct, settings.connections, seconds, round > 0);
    await measure("lodge64", lodge, settings.connections, seconds, round > 0);
    await measure("lodge1", lodge, 1, seconds, round > 0);
    await measure("direct1", direct, 1, seconds, round > 0);
    log(`round ${round}${round === 0 ? " (warm-up)" : ""} done`);
  }
  const p50 = (name: string) => median((totals[name] as Totals).p50Ms);
  const addedP50 = p50("lodge1") - p50("direct1");

  // (c): streamed time to first byte, interleaved.
  const ttfb = { direct: [] as number[], lodge: [] as number[] };
  for (let index = 0; index < settings.streams; index++) {
    ttfb.direct.push(await firstByteMs(`${direct.url}${direct.path}`, direct.authorization, index));
    ttfb.lodge.push(await firstByteMs(`${lodge.url}${lodge.path}`, lodge.authorization, index));
  }
  const warm = (values: number[]) => values.slice(Math.floor(values.length / 10));
  const addedTtfb = median(warm(ttfb.lodge)) - median(warm(ttfb.direct));

  // (d): RSS over a long run of (a)'s load, sampled every second.
  log(`RSS: ${settings.rssSeconds} s at ${settings.connections} connections`);
  const samples: number[] = [];
  const sampler = setInterval(() => void rssMb(gateway.pid).then((mb) => samples.push(mb)), 1000);
  const long = await load(lodge, settings.connections, settings.rssSeconds);
  clearInterval(sampler);
  const settled = samples.length > 5 ? samples.slice(5) : samples;
  const quarter = Math.max(1, Math.floor(settled.length / 4));
  const first = median(settled.slice(0, quarter));
  const last = median(settled.slice(-quarter));
  const growth = (last - first) / first;
  /** Every fifth sample, for the printout. */
  const shown = samples.filter((_, index) => index % 5 === 4);

  console.log(`\nAI gateway vs the fake upstream direct (${settings.rounds} rounds of ${perRound.toFixed(1)} s; ${driver.kind})\n`);
  const ratio = rate(totals.lodge64 as Totals) / rate(totals.direct64 as Totals);
  printTable([
    { name: `direct, ${settings.connections} connections`, totals: totals.direct64 as Totals, ratio: 1, of: "-", target: "-" },
    {
      name: `through Lodge, ${settings.connections} connections`,
      totals: totals.lodge64 as Totals,
      ratio,
      of: "direct",
      target: "≥ 0.35",
      pass: ratio >= 0.35,
    },
    { name: "direct, 1 connection", totals: totals.direct1 as Totals, ratio: 1, of: "-", target: "-" },
    {
      name: "through Lodge, 1 connection",
      totals: totals.lodge1 as Totals,
      ratio: rate(totals.lodge1 as Totals) / rate(totals.direct1 as Totals),
      of: "direct",
      target: "-",
    },
  ]);
  const verdict = (pass: boolean) => (pass ? "PASS" : "MISS");
  /** CPU µs per answered call of a scenario. */
  const perCall = (name: string) => (((cpu[name] ?? 0) * 1000) / Math.max(1, (totals[name] as Totals).ok)).toFixed(0);
  console.log(
    `\nCPU per call: gateway ${perCall("lodge64")} µs at ${settings.connections} connections, ${perCall("lodge1")} µs at 1 (the upstream: ${perCall("direct64")} / ${perCall("direct1")} µs per direct call)`,
  );
  console.log(
    `\nadded p50 at 1 connection: ${addedP50.toFixed(3)} ms (Lodge ${p50("lodge1").toFixed(3)}, direct ${p50("direct1").toFixed(3)}; target ≤ 0.3) ${verdict(addedP50 <= 0.3)}`,
  );
  console.log(
    `added stream time to first byte (p50 of ${ttfb.lodge.length}): ${addedTtfb.toFixed(3)} ms (Lodge ${median(warm(ttfb.lodge)).toFixed(3)}, direct ${median(warm(ttfb.direct)).toFixed(3)}; target ≤ 0.5) ${verdict(addedTtfb <= 0.5)}`,
  );
  console.log(
    `gateway RSS over ${settings.rssSeconds} s (${Math.round(long.rps)} req/s, ${long.errors} errors), every 5 s: ${shown.map((mb) => mb.toFixed(0)).join(" → ")} MB; median of the first quarter ${first.toFixed(0)} MB, of the last ${last.toFixed(0)} MB: growth ${(growth * 100).toFixed(1)}% (target ≤ 5%) ${verdict(growth <= 0.05)}`,
  );
  const errors = Object.values(totals).reduce((sum, total) => sum + total.errors, 0) + long.errors;
  if (errors > 0) console.log(`errors: ${errors}; first: ${Object.values(totals).find((total) => total.firstError)?.firstError ?? long.firstError}`);
  await cleanup();
  process.exit(errors > 0 ? 1 : 0);
}

await main();
