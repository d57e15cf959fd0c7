/**
 * `bun run bench:kit`: what the kit's request path (request id, access log, the per-request
 * histogram, CORS, body limit, JSON-only check, the error shape) costs every Lodge service. A
 * service app with trivial routes (bench/lib/kit-service.ts: no database or Redis work) against a
 * bare Hono app on Bun.serve, each in a process of their own, same run; load from wrk (else fetch
 * loops), to 127.0.0.1. Each scenario's server CPU (user + system, from /proc) per request is
 * printed beside its rate.
 *
 * Scenarios take turns each round (bare GET, kit GET, bare POST, kit POST, ...), so a neighbour's
 * burst falls on all of them alike.
 *
 * Knobs (env): BENCH_SECONDS (12, per scenario, split over the rounds), BENCH_ROUNDS (4),
 * BENCH_WARMUP_SECONDS (3), BENCH_CONNECTIONS (32), BENCH_DRIVER (wrk|fetch), BENCH_WRK_THREADS (1).
 */
import { type Driver, pickDriver, runLoad, type Scenario } from "./lib/load";
import { type Child, cpuMs, freePort, startProcess } from "./lib/processes";
import { add, emptyTotals, printTable, rate, type Totals } from "./lib/report";
import { root, setting } from "./lib/settings";

const settings = {
  seconds: setting("BENCH_SECONDS", 12),
  rounds: Math.round(setting("BENCH_ROUNDS", 4)),
  warmup: setting("BENCH_WARMUP_SECONDS", 3),
  connections: setting("BENCH_CONNECTIONS", 32),
};
const driver: Driver = pickDriver(process.env.BENCH_DRIVER, setting("BENCH_WRK_THREADS", 1));

async function startServers(): Promise<{ kit: Child; bare: Child }> {
  const kitPort = freePort();
  const barePort = freePort();
  const [kit, bare] = await Promise.all([
    startProcess({
      name: "kit",
      cmd: [process.execPath, "run", "bench/lib/kit-service.ts"],
      cwd: root,
      port: kitPort,
      readyPath: "/health",
      env: { ...process.env, NODE_ENV: "production", PORT: String(kitPort), LOG_LEVEL: "info" },
    }),
    // Evaluated in packages/kit, so `hono` is the very copy the kit uses.
    startProcess({
      name: "bare",
      cmd: [
        process.execPath,
        "-e",
        `import { Hono } from "hono"; const app = new Hono(); app.get("/kit/hello", (c) => c.json({ ok: true })); app.post("/kit/hello", async (c) => c.json({ ok: typeof (await c.req.json()).text === "string" })); Bun.serve({ port: ${barePort}, hostname: "127.0.0.1", fetch: app.fetch });`,
      ],
      cwd: `${root}packages/kit`,
      port: barePort,
      readyPath: "/kit/hello",
      env: { ...process.env },
    }),
  ]);
  return { kit, bare };
}

type Stage = { name: string; server: Child; scenario: Scenario; totals: Totals; cpuMs: number };

async function main() {
  const { kit, bare } = await startServers();
  try {
    const get: Scenario = { kind: "static", method: "GET", path: "/kit/hello", headers: { "user-agent": "bench" } };
    const post: Scenario = { kind: "static", method: "POST", path: "/kit/hello", body: { text: "a note" } };
    const stages: Stage[] = [
      { name: "bare Hono GET", server: bare, scenario: get, totals: emptyTotals(), cpuMs: 0 },
      { name: "kit GET", server: kit, scenario: get, totals: emptyTotals(), cpuMs: 0 },
      { name: "bare Hono POST json", server: bare, scenario: post, totals: emptyTotals(), cpuMs: 0 },
      { name: "kit POST json", server: kit, scenario: post, totals: emptyTotals(), cpuMs: 0 },
    ];
    const { rounds, connections } = settings;
    for (let round = 0; round <= rounds; round++) {
      for (const stage of stages) {
        const seconds = round === 0 ? settings.warmup : settings.seconds / rounds;
        const before = await cpuMs(stage.server.pid);
        const result = await runLoad(driver, { baseUrl: stage.server.url, scenario: stage.scenario, connections, seconds });
        // wrk stops without reading the answers in flight: let the server finish them before reading its CPU.
        await Bun.sleep(300);
        if (round > 0) stage.cpuMs += (await cpuMs(stage.server.pid)) - before;
        add(stage.totals, result, round > 0);
      }
    }
    const [bareGet, kitGet, barePost, kitPost] = stages as [Stage, Stage, Stage, Stage];
    printTable([
      { name: bareGet.name, totals: bareGet.totals, ratio: 1, of: "baseline", target: "" },
      { name: kitGet.name, totals: kitGet.totals, ratio: rate(kitGet.totals) / rate(bareGet.totals), of: "bare GET", target: "" },
      { name: barePost.name, totals: barePost.totals, ratio: 1, of: "baseline", target: "" },
      { name: kitPost.name, totals: kitPost.totals, ratio: rate(kitPost.totals) / rate(barePost.totals), of: "bare POST", target: "" },
    ]);
    const perRequest = (stage: Stage) => (stage.cpuMs * 1000) / stage.totals.ok;
    console.log("\nserver CPU per request (µs):");
    for (const [kitStage, bareStage] of [
      [kitGet, bareGet],
      [kitPost, barePost],
    ] as const) {
      console.log(
        `  ${kitStage.name}: ${perRequest(kitStage).toFixed(1)} vs ${bareStage.name}: ${perRequest(bareStage).toFixed(1)} = ${(perRequest(kitStage) / perRequest(bareStage)).toFixed(2)}×`,
      );
    }
  } finally {
    await Promise.all([kit.stop(), bare.stop()]);
  }
}

await main();
