import type { Redis } from "ioredis";
import { connectRedis } from "./redis";

/** The Redis tests run against: REDIS_URL, or the local one. */
export const testRedisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** A Redis connection plus a key prefix of its own, so test files never see each other's keys. */
export async function createTestRedis(): Promise<{ redis: Redis; prefix: string; cleanup: () => Promise<void> }> {
  const redis = await connectRedis(testRedisUrl);
  const prefix = `lodge-test-${crypto.randomUUID().slice(0, 8)}:`;
  return {
    redis,
    prefix,
    cleanup: async () => {
      await deleteKeys(redis, prefix);
      redis.disconnect();
    },
  };
}

/** Removes every key under `prefix`. */
export async function deleteKeys(redis: Redis, prefix: string) {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== "0");
}

/** Every event of one type in the stream, oldest first (tests read what a service published). */
export async function readStream(redis: Redis, prefix: string, type: string): Promise<{ id: string; type: string; data: Record<string, unknown> }[]> {
  const entries = (await redis.xrange(`${prefix}events:${type}`, "-", "+")) as [string, string[]][];
  return entries.map(([, fields]) => JSON.parse(fields[fields.indexOf("event") + 1] ?? "{}"));
}

/**
 * The clock a service under test runs on: real time, moved forward by `advance` (to cross expiry
 * and grace windows without sleeping), or standing still while `frozen` work runs (a test whose
 * answer depends on no time passing, however slow the machine).
 */
export function createTestClock() {
  let offsetMs = 0;
  let frozenAt: number | undefined;
  return {
    now: () => new Date((frozenAt ?? Date.now()) + offsetMs),
    advance: (ms: number) => {
      offsetMs += ms;
    },
    frozen: async <T>(work: () => Promise<T>): Promise<T> => {
      frozenAt = Date.now();
      try {
        return await work();
      } finally {
        frozenAt = undefined;
      }
    },
  };
}

/**
 * A clock that stands still unless a test moves it: minute windows, days and months begin and end
 * exactly where a test puts them, however slow the machine.
 */
export function createManualClock(start: string) {
  let now = Date.parse(start);
  return {
    now: () => new Date(now),
    advance: (ms: number) => {
      now += ms;
    },
    set: (iso: string) => {
      now = Date.parse(iso);
    },
  };
}

/** What a truthy check returns (no `false`, `0`, `""`, `null` or `undefined`). */
type Truthy<T> = Exclude<T, false | 0 | "" | null | undefined>;

/** Polls until `check` returns a truthy value (no timed assertions: a deadline only stops a hung test). */
export async function eventually<T>(check: () => Promise<T> | T, deadlineMs = 10_000): Promise<Truthy<T>> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value) return value as Truthy<T>;
    if (Date.now() > deadline) throw new Error("condition not met before the deadline");
    await Bun.sleep(25);
  }
}

/** `pending`: bytes waiting to be written to this socket (back-pressure, or its peer not connected yet). */
type Pipe = { peer?: Bun.Socket<Pipe>; pending: Uint8Array[]; upstreamQueue?: Uint8Array[] };

const defaultPorts: Record<string, number> = { "redis:": 6379, "postgres:": 5432, "postgresql:": 5432 };

/** A `createTcpProxy` in front of the server a Redis or Postgres URL names (the test Redis by default). */
export function proxyFor(url: string = testRedisUrl) {
  const target = new URL(url);
  return createTcpProxy({ hostname: target.hostname, port: Number(target.port) || (defaultPorts[target.protocol] ?? 0) });
}

/**
 * A TCP proxy in front of a real server (Postgres, Redis) that a test can cut and restore, to see
 * what a service does while a dependency is down and that it recovers by itself.
 */
export function createTcpProxy(target: { hostname: string; port: number }) {
  let open = true;
  /** Connections stay open but nothing gets through either way (a peer that stopped answering). */
  let hung = false;
  const sockets = new Set<Bun.Socket<Pipe>>();
  /** Connections left hung for good after a restore (see `restore`): half-open, only a client's timeout ends them. */
  const stalled = new Set<Bun.Socket<Pipe>>();
  const send = (socket: Bun.Socket<Pipe>, data: Uint8Array, pending: Uint8Array[]) => {
    if (pending.length > 0) return void pending.push(data);
    const written = socket.write(data);
    if (written < data.length) pending.push(data.subarray(written));
  };
  const flush = (socket: Bun.Socket<Pipe>, pending: Uint8Array[]) => {
    while (pending.length > 0) {
      const chunk = pending[0] as Uint8Array;
      const written = socket.write(chunk);
      if (written < chunk.length) {
        pending[0] = chunk.subarray(written);
        return;
      }
      pending.shift();
    }
  };
  const listen = (port: number) =>
    Bun.listen<Pipe>({
      hostname: "127.0.0.1",
      port,
      socket: {
        async open(client) {
          const toTarget: Uint8Array[] = [];
          client.data = { pending: [], upstreamQueue: toTarget };
          sockets.add(client);
          const upstream = await Bun.connect<Pipe>({
            hostname: target.hostname,
            port: target.port,
            socket: {
              open(socket) {
                socket.data = { peer: client, pending: toTarget };
                sockets.add(socket);
              },
              data: (socket, data) => {
                if (!hung && !stalled.has(socket)) send(client, new Uint8Array(data), client.data.pending);
              },
              drain: (socket) => flush(socket, socket.data.pending),
              close: () => void client.end(),
              error: () => void client.end(),
            },
          }).catch(() => undefined);
          if (!upstream) return void client.end();
          client.data.peer = upstream;
          flush(upstream, toTarget);
        },
        data: (client, data) => {
          if (hung || stalled.has(client)) return;
          const peer = client.data.peer;
          if (peer) send(peer, new Uint8Array(data), peer.data.pending);
          else client.data.upstreamQueue?.push(new Uint8Array(data));
        },
        drain: (client) => flush(client, client.data.pending),
        close: (client) => {
          sockets.delete(client);
          stalled.delete(client);
          if (client.data?.peer) stalled.delete(client.data.peer);
          client.data?.peer?.end();
        },
        error: (client) => void client.data?.peer?.end(),
      },
    });
  let server = listen(0);
  const port = server.port;
  return {
    port,
    /** Drops every connection and refuses new ones (the port is closed), like a dependency that went down. */
    cut() {
      if (!open) return;
      open = false;
      server.stop(true);
      for (const socket of sockets) socket.terminate();
      sockets.clear();
      stalled.clear();
    },
    /**
     * Keeps every connection (and accepts new ones) but passes nothing on: a half-open peer that
     * never answers, which only a client's own timeouts can detect.
     */
    hang() {
      hung = true;
    },
    /**
     * Ends a cut or a hang. What a hang swallowed left its connections out of step with the server,
     * so they are dropped, unless `keepHungConnections`: then they stay open and keep passing
     * nothing, for good (a peer gone without a reset), and only new connections get through.
     */
    restore(options: { keepHungConnections?: boolean } = {}) {
      if (hung) {
        hung = false;
        if (options.keepHungConnections) for (const socket of sockets) stalled.add(socket);
        else {
          for (const socket of sockets) socket.terminate();
          sockets.clear();
        }
      }
      if (open) return;
      open = true;
      server = listen(port);
    },
    stop() {
      this.cut();
    },
  };
}
