/**
 * The production path, locally: the services of @lodge/services as real processes
 * (`bun run apps/<name>/src/main.ts`) on ports the OS picks (not the list's, so several stacks can
 * run at once), behind a real `caddy run` of the repository's Caddyfile. Only the Caddyfile's
 * host/port placeholders change (site address, internal listener port, upstream lists, admin
 * address); everything else is the production file. As in compose.yaml, the services share one
 * database (each in its own schema) and one Redis prefix, and call each other and fetch JWKS
 * through Caddy's internal listener. `stop()` kills what was started, drops the database, deletes
 * the Redis keys and the file storage directory.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase } from "@lodge/db/testing";
import { connectRedis, type Redis } from "@lodge/kit";
import { call, deleteKeys, eventually, testRedisUrl } from "@lodge/kit/testing";
import { clientSettings, envName, machineClients, operationsPaths, type ServiceName, services } from "@lodge/services";

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

/** Every auth instance of a stack (and its CLI) must open the same sealed signing keys (required in production). */
const keyEncryptionSecret = "e2e-key-encryption-secret-0123456789abcdef";

export type ServiceProcess = ReturnType<typeof spawnCollected> & { port: number; url: string };
export type AuthProcess = ServiceProcess;

/** A service of the list other than auth (which the stack always starts, in one or more instances). */
type PeerName = Exclude<ServiceName, "auth">;

/** What each service needs beyond the common env, given the stack's public URL and storage directory. */
const ownEnv = ({ url, fileStorageDir }: { url: string; fileStorageDir: string }): Record<PeerName, Record<string, string>> => ({
  user: { PUBLIC_BASE_URL: url },
  file: { FILE_STORAGE_DIR: fileStorageDir, FILE_SIGNING_SECRET: `e2e-signing-${crypto.randomUUID()}`, FILE_PUBLIC_URL: url },
  // Links in emails lead to the stack's public origin (a frontend would be there).
  notification: { APP_URL: url, NOTIFICATION_PUBLIC_URL: url },
  ai: {},
  analytics: {},
  bot: {},
});

export type StackOptions = {
  /** Extra env for the auth instances. */
  env?: Record<string, string>;
  /** How many auth instances (default 1). */
  instances?: number;
  /** Also start these services (one instance each), with extra env for each. */
  services?: Partial<Record<PeerName, Record<string, string>>>;
};

export async function startStack(options: StackOptions = {}) {
  const database = await createTestDatabase();
  const prefix = `lodge-e2e-${crypto.randomUUID().slice(0, 8)}:`;
  const redis: Redis = await connectRedis(testRedisUrl);
  const scratch = mkdtempSync(join(tmpdir(), "lodge-e2e-"));
  const fileStorageDir = join(scratch, "files");
  const started: ReturnType<typeof spawnCollected>[] = [];
  const peerNames = services.map(({ name }) => name).filter((name): name is PeerName => options.services?.[name as PeerName] !== undefined);
  // The machine clients of the services started here, as compose.yaml builds AUTH_CLIENTS from <NAME>_CLIENT_ID/<NAME>_CLIENT_SECRET.
  const clients = clientSettings(machineClients(() => `e2e-${crypto.randomUUID().replaceAll("-", "")}`, peerNames));
  // Caddy's addresses are known before anything starts: the services are configured with them.
  const caddyPort = freePort();
  const internalPort = freePort();
  const url = `http://127.0.0.1:${caddyPort}`;
  const internalUrl = `http://127.0.0.1:${internalPort}`;

  const stop = async () => {
    for (const running of started) if (running.child.exitCode === null) running.child.kill("SIGKILL");
    await Promise.all(started.map((running) => running.child.exited));
    await deleteKeys(redis, prefix);
    redis.disconnect();
    await database.drop();
    rmSync(scratch, { recursive: true, force: true });
  };

  /** One instance of a service, as compose runs it: `bun run apps/<name>/src/main.ts` with its env. */
  const startService = async (name: ServiceName, port: number, env: Record<string, string>): Promise<ServiceProcess> => {
    const instance = spawnCollected([process.execPath, "run", `apps/${name}/src/main.ts`], {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: scratch,
      NODE_ENV: "test",
      // Every auth instance of a stack must open the same sealed signing keys (required in production).
      AUTH_KEY_ENCRYPTION_SECRET: keyEncryptionSecret,
      HOST: "127.0.0.1",
      PORT: String(port),
      DATABASE_URL: database.url,
      REDIS_URL: testRedisUrl,
      REDIS_PREFIX: prefix,
      TRUSTED_PROXIES: "127.0.0.1,::1",
      // info, not warn: the shutdown tests read the "stopped" line.
      LOG_LEVEL: "info",
      // As compose sets them: through Caddy's internal listener.
      JWKS_URL: `${internalUrl}/.well-known/jwks.json`,
      ...Object.fromEntries(services.map((service) => [envName(service.name, "URL"), internalUrl])),
      ...clients.serviceEnv,
      ...env,
    });
    started.push(instance);
    const base = `http://127.0.0.1:${port}`;
    await untilAnswers(`${base}${operationsPaths.ready}`, name, instance);
    return { ...instance, port, url: base };
  };

  const startAuth = (port: number) =>
    startService("auth", port, {
      AUTH_COOKIE_SECURE: "false",
      ...(clients.authClients.length > 0 ? { AUTH_CLIENTS: clients.authClients.join(";") } : {}),
      ...options.env,
    });

  try {
    const instances: AuthProcess[] = [];
    for (let index = 0; index < (options.instances ?? 1); index++) instances.push(await startAuth(freePort()));
    const peers: Partial<Record<PeerName, ServiceProcess>> = {};
    const peerEnv = ownEnv({ url, fileStorageDir });
    const startPeer = (name: PeerName, port: number) => startService(name, port, { ...peerEnv[name], ...options.services?.[name] });
    for (const name of peerNames) peers[name] = await startPeer(name, freePort());

    // Every service's upstream list (<NAME>_UPSTREAMS): a service not started here points at a port
    // where nothing listens (Caddy answers 503 there).
    const nowhere = `127.0.0.1:${freePort()}`;
    const upstreams = Object.fromEntries(
      services.map(({ name }) => {
        const processes = name === "auth" ? instances : [peers[name]].filter((peer) => peer !== undefined);
        return [envName(name, "UPSTREAMS"), processes.length > 0 ? processes.map((instance) => `127.0.0.1:${instance.port}`).join(" ") : nowhere];
      }),
    );
    const caddy = spawnCollected(["caddy", "run", "--adapter", "caddyfile", "--config", join(repoRoot, "Caddyfile")], {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: scratch,
      XDG_CONFIG_HOME: join(scratch, "config"),
      XDG_DATA_HOME: join(scratch, "data"),
      // An http:// site address is what turns automatic HTTPS off; nothing else differs.
      LODGE_DOMAIN: url,
      CADDY_INTERNAL_PORT: String(internalPort),
      ...upstreams,
      CADDY_ADMIN: `127.0.0.1:${freePort()}`,
    });
    started.push(caddy);
    await untilAnswers(`${url}/.well-known/jwks.json`, "caddy", caddy);
    await untilAnswers(`${internalUrl}/.well-known/jwks.json`, "caddy's internal listener", caddy);

    const first = instances[0] as AuthProcess;
    return {
      url,
      /** Caddy's internal plain-HTTP listener (what AUTH_URL, FILE_URL and JWKS_URL point at). */
      internalUrl,
      /** The other services (`user`, `file`, ...), when `services` asked for them. */
      ...peers,
      /** The file service's FILE_STORAGE_DIR. */
      fileStorageDir,
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
       * until Caddy has taken it back into rotation (as deploy/rollout.sh waits before the next
       * slot). Returns the old process's exit code and output.
       */
      /**
       * A fresh admin's access token, made the operator's way: apps/auth's `admin:create` on the
       * stack's database, then a login through Caddy.
       */
      admin: async () => {
        const email = `admin-${crypto.randomUUID().slice(0, 8)}@example.com`;
        const password = "a password for the stack's admin";
        const created = Bun.spawnSync([process.execPath, "run", "apps/auth/src/cli.ts", "admin:create", email], {
          cwd: repoRoot,
          env: {
            PATH: process.env.PATH ?? "/usr/bin:/bin",
            NODE_ENV: "test",
            DATABASE_URL: database.url,
            REDIS_URL: testRedisUrl,
            REDIS_PREFIX: prefix,
            AUTH_KEY_ENCRYPTION_SECRET: keyEncryptionSecret,
            ADMIN_PASSWORD: password,
          },
        });
        if (created.exitCode !== 0) throw new Error(`admin:create failed: ${created.stdout.toString()}${created.stderr.toString()}`);
        const login = await call(url, "POST", "/auth/login", { body: { email, password } });
        if (login.status !== 200) throw new Error(`the admin's login failed: ${login.status} ${login.text}`);
        return login.json.accessToken as string;
      },
      restart: async (index: number) => {
        const old = instances[index] as AuthProcess;
        const logSeen = caddy.output().length;
        old.child.kill("SIGTERM");
        const code = await old.exited();
        const fresh = await startAuth(old.port);
        instances[index] = fresh;
        // Caddy's own word, not the instance's count of 200s it answered (Caddy may not have read
        // the last one yet): it logs this line when a health check turns the address healthy. The
        // draining instance was turned unhealthy before it stopped, so the fresh one always is.
        const up = `"msg":"host is up","host":"127.0.0.1:${fresh.port}"`;
        await eventually(() => caddy.output().slice(logSeen).includes(up));
        return { code, output: old.output() };
      },
      /**
       * Ends a service started with `services` (`SIGKILL`: killed mid-work, as a crash; `SIGTERM`: its
       * drain) and starts a fresh process on the same port with the same env, once the old one has
       * exited; resolves when it answers /ready (Caddy's health check takes it back within a second).
       * `stack.<name>` still names the old process: use the returned `fresh`.
       */
      restartService: async (name: PeerName, signal: "SIGKILL" | "SIGTERM" = "SIGTERM") => {
        const old = peers[name];
        if (!old) throw new Error(`${name} was not started`);
        old.child.kill(signal);
        const code = await old.exited();
        const fresh = await startPeer(name, old.port);
        peers[name] = fresh;
        return { code, output: old.output(), fresh };
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export { call, type Reply } from "@lodge/kit/testing";
