import { expect } from "bun:test";
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

// biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
export type Reply = { status: number; headers: Headers; text: string; json: any };

/** One HTTP request as tests make them; the body is JSON-encoded unless it is already a string. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers["content-type"] ??= "application/json";
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Strings every text field is sent in the bad-input sweeps: empty, huge, control and bidi characters, injections, a lone surrogate. */
export const hostileStrings = [
  "",
  " ",
  "a".repeat(3000),
  "\u0000\u0001\u0002",
  "' OR 1=1; DROP TABLE auth.users; --",
  "<script>alert(1)</script>",
  "\u202Eevil\u202C",
  "😀".repeat(300),
  "../../etc/passwd",
  "$" + "{jndi:ldap://x}",
  "\ud800",
];

/** A 4xx in the one error shape (never a 5xx); `label` names the request when it is not. */
export function expectErrorShape(response: { status: number; json: { error?: Record<string, unknown> } }, label: string) {
  if (response.status < 400 || response.status >= 500) throw new Error(`${label}: expected a 4xx, got ${response.status} ${JSON.stringify(response.json)}`);
  expect(typeof response.json?.error?.code).toBe("string");
  expect(typeof response.json?.error?.message).toBe("string");
  expect(typeof response.json?.error?.requestId).toBe("string");
}

export type BodySchema = { properties?: Record<string, unknown>; required?: string[] };

/**
 * The bad-input sweep of one JSON-body operation: malformed, truncated and non-object JSON, an
 * unknown key, wrong content types, a body over the limit (`oversizedBytes`), each field with wrong
 * types and hostile strings, each required field missing, prototype pollution. Every answer must
 * be a 4xx in the error shape. `send` makes the request; `skipWrong` leaves out a value a field
 * legitimately accepts (e.g. null clearing a nullable field, a boolean for a boolean field).
 */
export async function sweepBody(options: {
  label: string;
  schema: BodySchema | undefined;
  send: (body: unknown, headers?: Record<string, string>) => Promise<Reply>;
  oversizedBytes: number;
  skipWrong?: (value: unknown, property: string) => boolean;
  /** Strings this service must also refuse, beyond `hostileStrings`. */
  moreHostileStrings?: string[];
}) {
  const { send, schema } = options;
  const label = (what: string) => `${options.label} ${what}`;
  for (const [raw, what] of [
    ["{not json", "malformed"],
    ['{"a":', "truncated"],
    ["[]", "array"],
    ["null", "null"],
    ['"text"', "string"],
    ["12", "number"],
    ['{"constructor":{"prototype":{"admin":true}}}', "constructor"],
  ] as const) {
    expectErrorShape(await send(raw), label(what));
  }
  expectErrorShape(await send({ unexpected: true }), label("unknown key"));
  expectErrorShape(await send({ ["__proto__"]: { role: "admin" } }), label("__proto__"));
  expectErrorShape(await send("{}", { "content-type": "text/plain" }), label("text/plain"));
  expectErrorShape(await send("a=b", { "content-type": "application/x-www-form-urlencoded" }), label("form"));
  const oversized = await send({ padding: "x".repeat(options.oversizedBytes) });
  expect(oversized.status).toBe(413);
  expectErrorShape(oversized, label("oversized"));
  const properties = Object.keys(schema?.properties ?? {});
  const withField = (property: string, value: unknown) => Object.fromEntries(properties.map((name) => [name, name === property ? value : "x"]));
  for (const property of properties) {
    for (const wrong of [123, true, null, [], {}, 1e308, -1]) {
      if (options.skipWrong?.(wrong, property)) continue;
      expectErrorShape(await send(withField(property, wrong)), label(`${property}=${JSON.stringify(wrong)}`));
    }
    for (const hostile of [...hostileStrings, ...(options.moreHostileStrings ?? [])]) {
      expectErrorShape(await send(withField(property, hostile)), label(`${property} hostile ${JSON.stringify(hostile).slice(0, 20)}`));
    }
  }
  const required = schema?.required ?? [];
  for (const missing of required) {
    const body = Object.fromEntries(required.filter((name) => name !== missing).map((name) => [name, "x"]));
    expectErrorShape(await send(body), label(`missing ${missing}`));
  }
}

/**
 * Authorization headers a guarded route must answer 401, made from a valid access token: none, no
 * token, garbage, another scheme, a payload raised to admin, `alg: none`, a broken signature.
 */
export function badAuthorizations(token: string): (string | undefined)[] {
  const [header = "", payload = "", signature = ""] = token.split(".");
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, role: "admin" })).toString("base64url")}.${signature}`;
  const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${payload}.`;
  return [undefined, "Bearer", "Bearer garbage", `Basic ${token}`, `Bearer ${tampered}`, `Bearer ${none}`, `Bearer ${token}x`];
}

/** Every event of one type in the stream, oldest first (tests read what a service published). */
export async function readStream(redis: Redis, prefix: string, type: string): Promise<{ id: string; type: string; data: Record<string, unknown> }[]> {
  const entries = (await redis.xrange(`${prefix}events:${type}`, "-", "+")) as [string, string[]][];
  return entries.map(([, fields]) => JSON.parse(fields[fields.indexOf("event") + 1] ?? "{}"));
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

export { type OpenApiDocument, operationsOf, type SweptOperation, sweepAuthorizations, sweepDocument } from "./openapi-sweep";
export { startTestIssuer, type TestAccount, type TestIssuer, type TokenVariant } from "./test-issuer";
