/**
 * `bun run bench`: auth service throughput as ratios to baselines measured in the same run on the
 * same machine (see DESIGN.md, "Performance"):
 *   - GET /auth/me and POST /auth/refresh against a bare Hono hello-world served by Bun.serve;
 *   - POST /auth/login against raw `Bun.password.verify` on the same argon2id hash, same concurrency.
 * The auth service and the hello-world each run in a process of their own; load comes from this
 * process (wrk when installed, else keep-alive fetch loops), to 127.0.0.1 only.
 *
 * Every scenario is warmed up once, then measured in BENCH_ROUNDS rounds that take turns
 * (hello, me, refresh, login, raw verify, hello, me, ...), so a neighbour's burst of load on a
 * shared machine falls on every scenario alike instead of on one of them. Login and its baseline
 * swap places every other round (an even number of rounds gives each the same share), so neither is
 * always the one that follows the refresh load, whose writes Postgres is still flushing.
 *
 * Knobs (env): BENCH_SECONDS (12, measured per scenario, split over the rounds), BENCH_ROUNDS (6),
 * BENCH_WARMUP_SECONDS (5), BENCH_CONNECTIONS (32), BENCH_LOGIN_CONCURRENCY (8),
 * BENCH_DRIVER (wrk|fetch; default wrk when installed), BENCH_WRK_THREADS (1).
 */
import { createTestDatabase } from "@lodge/db/testing";
import { createTestRedis } from "@lodge/kit/testing";
import { type Driver, type LoadResult, pickDriver, runLoad, type Scenario } from "./lib/load";
import { type Child, freePort, startProcess } from "./lib/processes";
import { add, emptyTotals, printTable, rate, type Totals } from "./lib/report";
import { root, setting } from "./lib/settings";

const settings = {
  seconds: setting("BENCH_SECONDS", 12),
  rounds: Math.round(setting("BENCH_ROUNDS", 6)),
  warmup: setting("BENCH_WARMUP_SECONDS", 5),
  connections: setting("BENCH_CONNECTIONS", 32),
  loginConcurrency: setting("BENCH_LOGIN_CONCURRENCY", 8),
};
const driver: Driver = pickDriver(process.env.BENCH_DRIVER, setting("BENCH_WRK_THREADS", 1));
const PASSWORD = "a perfectly fine bench password";

// ---------------------------------------------------------------- cleanup, also on Ctrl-C

const cleanups: (() => Promise<unknown>)[] = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch (error) {
        console.error("cleanup:", error instanceof Error ? error.message : error);
      }
    }
  })();
  return cleaning;
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping servers, dropping the bench database and Redis keys`);
    void cleanup().then(() => process.exit(130));
  });
}

// ---------------------------------------------------------------- steps

function log(message: string) {
  console.error(`[bench] ${message}`);
}

/** Raw argon2id verify rate: `concurrency` verify calls in flight at all times, from this one process. */
async function rawVerify(hash: string, concurrency: number, seconds: number): Promise<LoadResult> {
  let ok = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        if (await Bun.password.verify(PASSWORD, hash)) ok += 1;
        else errors += 1;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { rps: ok / elapsed, ok, errors, seconds: elapsed, p50Ms: Number.NaN, p99Ms: Number.NaN };
}

type Account = { email: string; accessToken: string; refreshToken: string };

async function register(url: string, count: number, concurrency: number): Promise<Account[]> {
  const accounts: Account[] = [];
  const tag = crypto.randomUUID().slice(0, 8);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const email = `bench-${tag}-${next++}@example.com`;
        const response = await fetch(`${url}/auth/register`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email, password: PASSWORD }),
        });
        if (response.status !== 201) throw new Error(`register: ${response.status} ${await response.text()}`);
        const body = (await response.json()) as { accessToken: string; refreshToken: string };
        accounts.push({ email, accessToken: body.accessToken, refreshToken: body.refreshToken });
      }
    }),
  );
  return accounts;
}

async function startServers(database: { url: string }, redisPrefix: string) {
  const authPort = freePort();
  const helloPort = freePort();
  return Promise.all([
    startProcess({
      name: "auth",
      cmd: [process.execPath, "run", "apps/auth/src/main.ts"],
      cwd: root,
      port: authPort,
      readyPath: "/ready",
      env: {
        ...process.env,
        NODE_ENV: "production",
        AUTH_KEY_ENCRYPTION_SECRET: "bench-key-encryption-secret-0123456789abcdef",
        HOST: "127.0.0.1",
        PORT: String(authPort),
        DATABASE_URL: database.url,
        REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
        REDIS_PREFIX: redisPrefix,
        LOG_LEVEL: "warn",
        AUTH_COOKIE_SECURE: "false",
        RATE_LIMIT_LOGIN_PER_IP_EMAIL: "1000000000",
        RATE_LIMIT_LOGIN_PER_IP: "1000000000",
        RATE_LIMIT_LOGIN_PER_ACCOUNT: "1000000000",
        RATE_LIMIT_REGISTER_PER_IP: "1000000000",
      },
    }),
    // Evaluated with apps/auth as the working directory, so `hono` is the very copy the service uses.
    startProcess({
      name: "hello-world",
      cmd: [
        process.execPath,
        "-e",
        `import { Hono } from "hono"; Bun.serve({ port: ${helloPort}, hostname: "127.0.0.1", fetch: new Hono().get("/", (c) => c.text("ok")).fetch });`,
      ],
      cwd: `${root}apps/auth`,
      port: helloPort,
      readyPath: "/",
      env: { ...process.env },
    }),
  ]);
}

// ---------------------------------------------------------------- main

/** A scenario: `run(seconds, round)`, round 0 being its warm-up. */
type Stage = { name: string; run: (seconds: number, round: number) => Promise<LoadResult>; totals: Totals };

async function main() {
  const benchStarted = performance.now();
  const { connections, loginConcurrency, rounds } = settings;
  const driverName =
    driver.kind === "wrk" ? `wrk (${driver.threads} thread${driver.threads > 1 ? "s" : ""})` : `fetch loops${Bun.which("wrk") ? "" : " (wrk not installed)"}`;
  log(`driver: ${driverName}; ${navigator.hardwareConcurrency} cores; Bun ${Bun.version}`);

  const database = await createTestDatabase();
  cleanups.push(() => database.drop());
  const redis = await createTestRedis();
  cleanups.push(() => redis.cleanup());
  const children: Child[] = [];
  cleanups.push(() => Promise.all(children.map((child) => child.stop())));
  const [auth, hello] = await startServers(database, redis.prefix);
  children.push(auth, hello);
  for (const child of children) {
    child.onUnexpectedExit((code) => {
      if (cleaning) return;
      console.error(`${child.name} exited unexpectedly (code ${code}):\n${child.output()}`);
      void cleanup().then(() => process.exit(1));
    });
  }

  // One session per connection for /me; for refresh a fresh set of sessions for every run (the
  // warm-up and each round), each with a spare token per wrk thread (see the wrk refresh script).
  const setSize = connections + (driver.kind === "wrk" ? driver.threads : 0);
  const count = connections + (rounds + 1) * setSize;
  log(`registering ${count} accounts`);
  const accounts = await register(auth.url, count, loginConcurrency);
  const meTokens = accounts.slice(0, connections).map((account) => account.accessToken);
  const refreshSet = (round: number) =>
    accounts.slice(connections + round * setSize, connections + (round + 1) * setSize).map((account) => account.refreshToken);
  const loginUser = accounts[0] as Account;
  const [stored] = (await database.db.execute(`select password_hash from auth.users where email = '${loginUser.email}'`)) as unknown as {
    password_hash: string;
  }[];
  const hash = stored?.password_hash as string;
  log(`password hashes: ${hash.split("$").slice(1, 4).join(" ")}`);

  const http = (url: string, scenario: (round: number) => Scenario, concurrency: number) => (seconds: number, round: number) =>
    runLoad(driver, { baseUrl: url, scenario: scenario(round), connections: concurrency, seconds });
  const stage = (name: string, run: Stage["run"]): Stage => ({ name, run, totals: emptyTotals() });
  const stages = {
    hello: stage(
      "hello-world",
      http(hello.url, () => ({ kind: "static", method: "GET", path: "/" }), connections),
    ),
    me: stage(
      "GET /auth/me",
      http(auth.url, () => ({ kind: "bearer", path: "/auth/me", tokens: meTokens }), connections),
    ),
    refresh: stage(
      "POST /auth/refresh",
      http(auth.url, (round) => ({ kind: "refresh", path: "/auth/refresh", tokens: refreshSet(round) }), connections),
    ),
    login: stage(
      "POST /auth/login",
      http(auth.url, () => ({ kind: "static", method: "POST", path: "/auth/login", body: { email: loginUser.email, password: PASSWORD } }), loginConcurrency),
    ),
    raw: stage("Bun.password.verify", (seconds) => rawVerify(hash, loginConcurrency, seconds)),
  };

  const spent = async () =>
    Number(((await database.db.execute("select count(*) as n from auth.refresh_tokens where spent_at is not null")) as unknown as { n: string }[])[0]?.n);
  const spentBefore = await spent();
  const { hello: baseline, me, refresh, login, raw } = stages;
  for (let round = 0; round <= rounds; round += 1) {
    const seconds = round === 0 ? settings.warmup : settings.seconds / rounds;
    for (const { name, run, totals } of round % 2 === 1 ? [baseline, me, refresh, login, raw] : [baseline, me, refresh, raw, login]) {
      if (cleaning) return false; // interrupted: the signal handler is tearing everything down
      const result = await run(seconds, round);
      add(totals, result, round > 0);
      const where = round === 0 ? "warm-up" : `round ${round}/${rounds}`;
      log(`${name.padEnd(20)} ${where.padEnd(11)} ${result.rps.toFixed(1).padStart(9)} req/s  ${result.errors} errors`);
      if (result.firstError) log(`${name}: first error: ${result.firstError}`);
    }
  }
  await Bun.sleep(500); // wrk stops without reading the answers still in flight; let the server finish them
  // Every refresh answered 200 must have spent an unspent token (a replay inside the grace window
  // would get a 200 without spending one). wrk may leave a request per connection and run unread.
  const spentInRun = (await spent()) - spentBefore;
  const answered = refresh.totals.ok + refresh.totals.warmupOk;
  const rotationOk = spentInRun >= answered && spentInRun <= answered + (rounds + 1) * connections;

  const helloRate = rate(baseline.totals);
  const ratio = (value: Totals, of: Totals) => rate(value) / rate(of);
  console.log(
    `\nAuth bench: ${driverName}; ${connections} connections (login and raw verify: ${loginConcurrency} in flight); ` +
      `${settings.warmup} s warm-up, then ${settings.seconds} s measured per scenario in ${rounds} interleaved rounds; ` +
      `${navigator.hardwareConcurrency} cores, Bun ${Bun.version}\n`,
  );
  printTable([
    { name: "hello-world (Hono, Bun.serve)", totals: baseline.totals, ratio: 1, of: "baseline", target: "" },
    {
      name: "GET /auth/me",
      totals: me.totals,
      ratio: ratio(me.totals, baseline.totals),
      of: "hello",
      target: ">= 0.15",
      pass: rate(me.totals) / helloRate >= 0.15,
    },
    {
      name: "POST /auth/refresh",
      totals: refresh.totals,
      ratio: ratio(refresh.totals, baseline.totals),
      of: "hello",
      target: ">= 2000/s",
      pass: rate(refresh.totals) >= 2000,
    },
    { name: "Bun.password.verify (raw)", totals: raw.totals, ratio: 1, of: "baseline", target: "" },
    {
      name: "POST /auth/login",
      totals: login.totals,
      ratio: ratio(login.totals, raw.totals),
      of: "raw verify",
      target: ">= 0.90",
      pass: ratio(login.totals, raw.totals) >= 0.9,
    },
  ]);
  console.log(
    `\np50: mean over rounds; p99: worst round. Rotation check ${rotationOk ? "ok" : "FAILED"}: ${spentInRun} refresh tokens spent, ` +
      `${answered} refreshes answered 200 (warm-up included). Bench took ${((performance.now() - benchStarted) / 1000).toFixed(0)} s.`,
  );
  return rotationOk && Object.values(stages).every((each) => each.totals.errors === 0);
}

let clean = false;
try {
  clean = await main();
} catch (error) {
  if (!cleaning) console.error(error instanceof Error ? (error.stack ?? error.message) : error);
} finally {
  await cleanup();
}
process.exit(clean ? 0 : 1);
