/**
 * Closed-loop load: a fixed number of keep-alive connections, each sending its next request as
 * soon as the previous answer has arrived, for a fixed time, to 127.0.0.1 only. Driven by `wrk`
 * when it is installed (it costs the 2-core box far less CPU than a JS client), else by fetch loops.
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type Scenario =
  /**
   * The same request every time (a JSON body when given, and any headers, such as a bearer token);
   * with `unique`, the body's text `{{n}}` becomes a number no other request of the run has (so no
   * answer can come from a cache). With `uniqueFrom` as well, each string value `"{{n}}"` in the
   * body becomes that number as a JSON number, counted from `uniqueFrom` (a later run given a higher
   * start never repeats an earlier one's): start + thread (or connection) × 10^8 + the request's count.
   */
  | { kind: "static"; method: "GET" | "POST"; path: string; body?: unknown; headers?: Record<string, string>; unique?: boolean; uniqueFrom?: number }
  /** GET with `Authorization: Bearer <token>`, each connection cycling through the tokens. */
  | { kind: "bearer"; path: string; tokens: string[] }
  /**
   * POST `{refreshToken}`: each connection starts from a token of its own and then always sends the
   * token the previous answer returned, so every request spends a fresh, unspent token.
   */
  | { kind: "refresh"; path: string; tokens: string[] };

export type LoadResult = {
  /** 2xx answers per second of measured time. */
  rps: number;
  ok: number;
  /** Non-2xx answers, transport errors and broken refresh chains. */
  errors: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  /** What the first failure looked like. */
  firstError?: string;
};

export type Driver = { kind: "fetch" } | { kind: "wrk"; path: string; threads: number };

export function pickDriver(requested: string | undefined, wrkThreads: number): Driver {
  const wrk = Bun.which("wrk");
  if (requested === "fetch") return { kind: "fetch" };
  if (requested === "wrk" && !wrk) throw new Error("BENCH_DRIVER=wrk but wrk is not installed");
  return wrk ? { kind: "wrk", path: wrk, threads: wrkThreads } : { kind: "fetch" };
}

/** Where a `unique` scenario's body gets its request's number. */
const UNIQUE = "{{n}}";

export async function runLoad(driver: Driver, options: { baseUrl: string; scenario: Scenario; connections: number; seconds: number }): Promise<LoadResult> {
  const { scenario, connections } = options;
  const spares = scenario.kind === "refresh" && driver.kind === "wrk" ? Math.min(driver.threads, connections) : 0;
  if (scenario.kind === "static" && scenario.unique && !JSON.stringify(scenario.body ?? "").includes(UNIQUE))
    throw new Error(`${scenario.path}: a unique body needs ${UNIQUE}`);
  if (scenario.kind !== "static" && scenario.tokens.length < connections + spares) {
    throw new Error(`${scenario.path}: need ${connections + spares} tokens (one per connection${spares ? ", one spare per wrk thread" : ""})`);
  }
  return driver.kind === "wrk" ? runWrk(driver, options) : runFetch(options);
}

// ---------------------------------------------------------------- fetch driver

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

async function runFetch(options: { baseUrl: string; scenario: Scenario; connections: number; seconds: number }): Promise<LoadResult> {
  const { scenario, connections } = options;
  const url = `${options.baseUrl}${scenario.path}`;
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;

  async function loop(index: number) {
    let turn = index;
    let refreshToken = scenario.kind === "refresh" ? (scenario.tokens[index] as string) : "";
    const staticInit: RequestInit | undefined =
      scenario.kind === "static"
        ? {
            method: scenario.method,
            headers: { ...(scenario.body === undefined ? {} : { "content-type": "application/json" }), ...scenario.headers },
            body: scenario.body === undefined ? undefined : JSON.stringify(scenario.body),
          }
        : undefined;
    let made = 0;
    while (performance.now() < deadline) {
      let init: RequestInit;
      if (scenario.kind === "static" && scenario.unique)
        init = {
          ...staticInit,
          body:
            scenario.uniqueFrom === undefined
              ? String((staticInit as RequestInit).body).replace(UNIQUE, `${index}-${made++}`)
              : String((staticInit as RequestInit).body).replaceAll(`"${UNIQUE}"`, String(scenario.uniqueFrom + index * 1e8 + made++)),
        };
      else if (scenario.kind === "static") init = staticInit as RequestInit;
      else if (scenario.kind === "bearer") {
        init = { headers: { authorization: `Bearer ${scenario.tokens[turn % scenario.tokens.length]}` } };
        turn += connections;
      } else init = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ refreshToken }) };
      const sent = performance.now();
      try {
        const response = await fetch(url, init);
        if (response.status >= 200 && response.status < 300) {
          if (scenario.kind === "refresh") refreshToken = ((await response.json()) as { refreshToken: string }).refreshToken;
          else await response.arrayBuffer();
          ok += 1;
          latencies.push(performance.now() - sent);
        } else {
          errors += 1;
          firstError ??= `${response.status} ${(await response.text()).slice(0, 300)}`;
          if (scenario.kind === "refresh") return; // the chain is broken: never resend a spent token
        }
      } catch (error) {
        errors += 1;
        firstError ??= String(error);
        if (scenario.kind === "refresh") return;
      }
    }
  }

  await Promise.all(Array.from({ length: connections }, (_, index) => loop(index)));
  const seconds = (performance.now() - started) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return { rps: ok / seconds, ok, errors, seconds, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), firstError };
}

// ---------------------------------------------------------------- wrk driver

const lua = (value: string) => JSON.stringify(value); // tokens and JSON bodies are plain ASCII: a JSON string is a valid Lua string

function wrkScript(scenario: Scenario, threads: number): string {
  if (scenario.kind === "static" && scenario.unique) {
    // Each thread numbers its requests; its id (from setup) keeps two threads' numbers apart.
    const numbered = scenario.uniqueFrom !== undefined;
    const parts = JSON.stringify(scenario.body).split(numbered ? `"${UNIQUE}"` : UNIQUE);
    const headers = Object.entries({ "Content-Type": "application/json", ...scenario.headers })
      .map(([name, value]) => `[${lua(name)}] = ${lua(value)}`)
      .join(", ");
    return `
local created = 0
function setup(thread)
  thread:set("tid", created)
  created = created + 1
end
function init(args)
  sent = 0
end
function request()
  sent = sent + 1
  local n = ${numbered ? `string.format("%d", ${scenario.uniqueFrom} + tid * 100000000 + sent)` : `tid .. "-" .. sent`}
  return wrk.format(${lua(scenario.method)}, ${lua(scenario.path)}, { ${headers} }, ${parts.map(lua).join(" .. n .. ")})
end
`;
  }
  if (scenario.kind === "static") {
    return [
      `wrk.method = ${lua(scenario.method)}`,
      scenario.body === undefined ? "" : `wrk.body = ${lua(JSON.stringify(scenario.body))}\nwrk.headers["Content-Type"] = "application/json"`,
      ...Object.entries(scenario.headers ?? {}).map(([name, value]) => `wrk.headers[${lua(name)}] = ${lua(value)}`),
    ].join("\n");
  }
  // setup() runs in the main Lua state once per thread; init() then runs in that thread's own state.
  const common = `
local all = { ${scenario.tokens.map(lua).join(", ")} }
local threads, created = ${threads}, 0
function setup(thread)
  thread:set("tid", created)
  created = created + 1
end
function init(args)
  mine = {}
  for i = tid + 1, #all, threads do mine[#mine + 1] = all[i] end
  turn = 0
end
`;
  if (scenario.kind === "bearer") {
    return `${common}
function request()
  if mine == nil then return wrk.format("GET", ${lua(scenario.path)}) end
  turn = turn % #mine + 1
  return wrk.format("GET", ${lua(scenario.path)}, { Authorization = "Bearer " .. mine[turn] })
end
`;
  }
  // Refresh: a connection asks for its next request only once its previous answer was handled, so
  // a thread's pool holds one unspent token per connection that has no request in flight. wrk 4.1
  // also calls request() once on thread 0 to check the script and discards the result: give every
  // thread a spare token for that (runLoad demands them). A failed answer returns no token; should
  // the pool ever run dry the request carries a dummy token and fails too (counted, never a spent token).
  return `${common}
function request()
  local token = mine and table.remove(mine) or "none"
  return wrk.format("POST", ${lua(scenario.path)}, { ["Content-Type"] = "application/json" }, '{"refreshToken":"' .. token .. '"}')
end
function response(status, headers, body)
  if status == 200 then
    local token = string.match(body, '"refreshToken":"([^"]+)"')
    if token then mine[#mine + 1] = token end
  end
end
`;
}

function parseDuration(text: string): number {
  const match = text.match(/^([\d.]+)(us|ms|s|m)$/);
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === "us" ? value / 1000 : match[2] === "ms" ? value : match[2] === "s" ? value * 1000 : value * 60_000;
}

async function runWrk(
  driver: Extract<Driver, { kind: "wrk" }>,
  options: { baseUrl: string; scenario: Scenario; connections: number; seconds: number },
): Promise<LoadResult> {
  const { scenario, connections } = options;
  const threads = Math.min(driver.threads, connections);
  if (connections % threads !== 0) throw new Error("connections must be a multiple of the wrk threads");
  const script = join(tmpdir(), `lodge-bench-${crypto.randomUUID()}.lua`);
  await Bun.write(script, wrkScript(scenario, threads));
  try {
    // wrk takes whole seconds; the rate is computed from the time it reports.
    const args = [
      driver.path,
      `-t${threads}`,
      `-c${connections}`,
      `-d${Math.max(1, Math.round(options.seconds))}s`,
      "--latency",
      "--timeout",
      "5s",
      "-s",
      script,
      `${options.baseUrl}${scenario.path}`,
    ];
    const proc = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    // wrk runs on with its default request when the script fails to load: never count that.
    if (code !== 0 || err.trim()) throw new Error(`wrk failed (${code}): ${err}${out}`);
    const total = out.match(/(\d+) requests in ([\d.]+)(us|ms|s|m),/);
    if (!total) throw new Error(`unexpected wrk output:\n${out}`);
    const requests = Number(total[1]);
    const seconds = parseDuration(`${total[2]}${total[3]}`) / 1000;
    const non2xx = Number(out.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
    const socket = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
    const socketErrors = socket ? socket.slice(1).reduce((sum, value) => sum + Number(value), 0) : 0;
    const ok = requests - non2xx;
    return {
      rps: ok / seconds,
      ok,
      errors: non2xx + socketErrors,
      seconds,
      p50Ms: parseDuration(out.match(/^\s+50%\s+(\S+)/m)?.[1] ?? ""),
      p99Ms: parseDuration(out.match(/^\s+99%\s+(\S+)/m)?.[1] ?? ""),
    };
  } finally {
    rmSync(script, { force: true });
  }
}
