import { expect } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "@lodge/base/testing";

export {
  createManualClock,
  createTcpProxy,
  createTestClock,
  createTestRedis,
  deleteKeys,
  eventually,
  proxyFor,
  readStream,
  testRedisUrl,
} from "@lodge/base/testing";

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

/** Checks one refused answer: a 4xx in the service's error shape (`expectErrorShape`, or a dialect's own). */
export type ShapeCheck = (response: Reply, label: string) => void;

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
  /** The error shape the answers must have (default: the one error shape). */
  expectShape?: ShapeCheck;
}) {
  const { send, schema } = options;
  const expectShape = options.expectShape ?? expectErrorShape;
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
    expectShape(await send(raw), label(what));
  }
  expectShape(await send({ unexpected: true }), label("unknown key"));
  expectShape(await send({ ["__proto__"]: { role: "admin" } }), label("__proto__"));
  expectShape(await send("{}", { "content-type": "text/plain" }), label("text/plain"));
  expectShape(await send("a=b", { "content-type": "application/x-www-form-urlencoded" }), label("form"));
  const oversized = await send({ padding: "x".repeat(options.oversizedBytes) });
  expect(oversized.status).toBe(413);
  expectShape(oversized, label("oversized"));
  const properties = Object.keys(schema?.properties ?? {});
  const withField = (property: string, value: unknown) => Object.fromEntries(properties.map((name) => [name, name === property ? value : "x"]));
  for (const property of properties) {
    for (const wrong of [123, true, null, [], {}, 1e308, -1]) {
      if (options.skipWrong?.(wrong, property)) continue;
      expectShape(await send(withField(property, wrong)), label(`${property}=${JSON.stringify(wrong)}`));
    }
    for (const hostile of [...hostileStrings, ...(options.moreHostileStrings ?? [])]) {
      expectShape(await send(withField(property, hostile)), label(`${property} hostile ${JSON.stringify(hostile).slice(0, 20)}`));
    }
  }
  const required = schema?.required ?? [];
  for (const missing of required) {
    const body = Object.fromEntries(required.filter((name) => name !== missing).map((name) => [name, "x"]));
    expectShape(await send(body), label(`missing ${missing}`));
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
export { documentPart, type OpenApiDocument, operationsOf, type SweptOperation, sweepAuthorizations, sweepDocument } from "./openapi-sweep";
export { startTestIssuer, type TestAccount, type TestIssuer, type TokenVariant } from "./test-issuer";
export { openTestSocket, type SocketClose, type TestSocket } from "./test-socket";

/**
 * Runs a BullMQ queue's delayed jobs due by a service's clock without waiting on the wall clock:
 * every delayed job is promoted; one not yet due by the clock goes back to delayed by itself.
 * Resolves once none is waiting or running.
 */
export async function runDueJobs(queue: { promoteJobs(): Promise<void>; getJobCounts(...types: string[]): Promise<Record<string, number>> }) {
  await queue.promoteJobs();
  await eventually(async () => Object.values(await queue.getJobCounts("waiting", "active", "prioritized")).every((count) => count === 0));
}

/**
 * A JSON body of `bytes` sent in 1 kB chunks with no Content-Length (chunked), which a service must
 * cut off while reading once it passes the body limit: the answer is 413 in the error shape.
 */
export async function expectChunkedBodyCutOff(url: string, init: { method: string; token?: string; bytes?: number }) {
  const chunk = new TextEncoder().encode("x".repeat(1000));
  const chunks = Math.ceil((init.bytes ?? 10_000) / chunk.length);
  const body = new ReadableStream({
    start(controller) {
      for (let index = 0; index < chunks; index++) controller.enqueue(chunk);
      controller.close();
    },
  });
  const headers: Record<string, string> = { "content-type": "application/json", ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) };
  const response = await fetch(url, { method: init.method, headers, body });
  const json = (await response.json().catch(() => ({}))) as { error?: { code?: string } };
  expectErrorShape({ status: response.status, json }, `chunked ${init.method} ${url}`);
  expect(response.status).toBe(413);
  expect(json.error?.code).toBe("PAYLOAD_TOO_LARGE");
}

/** A self-signed certificate for 127.0.0.1 (openssl, P-256, a day), for a local server that speaks https as the real one does. */
export function selfSignedCertificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), "lodge-tls-"));
  try {
    const run = Bun.spawnSync(
      [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stderr: "pipe" },
    );
    if (run.exitCode !== 0) throw new Error(`openssl failed: ${run.stderr.toString()}`);
    return { cert: readFileSync(join(dir, "cert.pem"), "utf8"), key: readFileSync(join(dir, "key.pem"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
