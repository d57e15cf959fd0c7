/**
 * The production path, locally: the auth service as a real process (`bun run apps/auth/src/main.ts`)
 * on its own port, behind a real `caddy run` of the repository's Caddyfile. Only the Caddyfile's
 * host/port placeholders change (site address, upstream list, admin address); everything else is
 * the production file. `stop()` kills what was started and drops the database.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase } from "@lodge/db/testing";
import { connectRedis, type Redis } from "@lodge/kit";
import { deleteKeys, eventually, testRedisUrl } from "@lodge/kit/testing";

export const repoRoot = new URL("../..", import.meta.url).pathname;

export type Stack = Awaited<ReturnType<typeof startStack>>;

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = server;
  server.stop(true);
  return port;
}

/** A child process whose output is collected (read continuously, so a full pipe never blocks it). */
function spawnCollected(command: string[], env: Record<string, string>) {
  const child = Bun.spawn(command, { cwd: repoRoot, env, stdout: "pipe", stderr: "pipe" });
  let output = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) output += decoder.decode(chunk, { stream: true });
  };
  const drained = Promise.all([collect(child.stdout), collect(child.stderr)]);
  return {
    child,
    output: () => output,
    /** Resolves once the process has exited and its output is read to the end. */
    exited: async () => {
      const code = await child.exited;
      await drained;
      return code;
    },
  };
}

/** Polls `url` until it answers 200; fails at once (with the process's output) if the process dies. */
async function untilAnswers(url: string, what: string, target: ReturnType<typeof spawnCollected>) {
  try {
    await eventually(async () => {
      if (target.child.exitCode !== null || target.child.signalCode) throw new Error(`${what} exited (${target.child.exitCode ?? target.child.signalCode})`);
      try {
        return (await fetch(url)).status === 200;
      } catch {
        return false;
      }
    }, 30_000);
  } catch (error) {
    throw new Error(`${what} did not come up: ${(error as Error).message}\n${target.output().slice(-4000)}`);
  }
}

export type AuthProcess = ReturnType<typeof spawnCollected> & { port: number; url: string };

/** How many /ready checks an instance has answered 200, from its own metrics (Caddy's health checks count here). */
async function readyAnswers(url: string): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const line = metrics
    .split("\n")
    .find((row) => row.startsWith("http_request_duration_seconds_count{") && row.includes('route="/ready"') && row.includes('status="200"'));
  return Number(line?.split(" ").pop() ?? 0);
}

export async function startStack(options: { env?: Record<string, string>; instances?: number } = {}) {
  const database = await createTestDatabase();
  const prefix = `lodge-e2e-${crypto.randomUUID().slice(0, 8)}:`;
  const redis: Redis = await connectRedis(testRedisUrl);
  const scratch = mkdtempSync(join(tmpdir(), "lodge-e2e-"));
  const started: ReturnType<typeof spawnCollected>[] = [];

  const stop = async () => {
    for (const running of started) if (running.child.exitCode === null) running.child.kill("SIGKILL");
    await Promise.all(started.map((running) => running.child.exited));
    await deleteKeys(redis, prefix);
    redis.disconnect();
    await database.drop();
    rmSync(scratch, { recursive: true, force: true });
  };

  /** One auth instance, as compose runs it: `bun run apps/auth/src/main.ts` with its env. */
  const startAuth = async (port: number): Promise<AuthProcess> => {
    const instance = spawnCollected([process.execPath, "run", "apps/auth/src/main.ts"], {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: scratch,
      NODE_ENV: "test",
      HOST: "127.0.0.1",
      PORT: String(port),
      DATABASE_URL: database.url,
      REDIS_URL: testRedisUrl,
      REDIS_PREFIX: prefix,
      AUTH_COOKIE_SECURE: "false",
      TRUSTED_PROXIES: "127.0.0.1,::1",
      // info, not warn: the shutdown tests read the "stopped" line.
      LOG_LEVEL: "info",
      ...options.env,
    });
    started.push(instance);
    const url = `http://127.0.0.1:${port}`;
    await untilAnswers(`${url}/ready`, "auth", instance);
    return { ...instance, port, url };
  };

  try {
    const instances: AuthProcess[] = [];
    for (let index = 0; index < (options.instances ?? 1); index++) instances.push(await startAuth(freePort()));

    const caddyPort = freePort();
    const caddy = spawnCollected(["caddy", "run", "--adapter", "caddyfile", "--config", join(repoRoot, "Caddyfile")], {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: scratch,
      XDG_CONFIG_HOME: join(scratch, "config"),
      XDG_DATA_HOME: join(scratch, "data"),
      // An http:// site address is what turns automatic HTTPS off; nothing else differs.
      LODGE_DOMAIN: `http://127.0.0.1:${caddyPort}`,
      AUTH_UPSTREAMS: instances.map((instance) => `127.0.0.1:${instance.port}`).join(" "),
      CADDY_ADMIN: `127.0.0.1:${freePort()}`,
    });
    started.push(caddy);
    const url = `http://127.0.0.1:${caddyPort}`;
    await untilAnswers(`${url}/.well-known/jwks.json`, "caddy", caddy);

    const first = instances[0] as AuthProcess;
    return {
      url,
      /** The first auth instance (the only one unless `instances` was given). */
      auth: first,
      authUrl: first.url,
      instances,
      caddy,
      redis,
      prefix,
      database,
      /**
       * SIGTERM one instance, wait for it to exit, start a fresh one on the same port, and wait
       * until Caddy's health check has seen it ready (as deploy/rollout.sh waits before the next
       * slot). Returns the old process's exit code and output.
       */
      restart: async (index: number) => {
        const old = instances[index] as AuthProcess;
        old.child.kill("SIGTERM");
        const code = await old.exited();
        const fresh = await startAuth(old.port);
        instances[index] = fresh;
        const answered = await readyAnswers(fresh.url);
        await eventually(async () => (await readyAnswers(fresh.url)) > answered);
        return { code, output: old.output() };
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export { call, type Reply } from "@lodge/kit/testing";
