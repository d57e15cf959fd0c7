import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ACCESS_TOKEN_TTL_SECONDS } from "@lodge/kit";
import {
  call,
  eventually,
  expectErrorShape,
  hostileStrings,
  type OpenApiDocument,
  operationsOf,
  type SweptOperation,
  sweepAuthorizations,
  sweepDocument,
} from "@lodge/kit/testing";
import { startTestFiles, type TestFiles } from "./harness";
import { images } from "./images";

/**
 * Every operation in the file service's own OpenAPI document is sent missing and bad credentials,
 * another user's ids, malformed and hostile path, query and body values: each answer is a 4xx in
 * the one error shape (never a 5xx), and nothing is stored.
 */
let t: TestFiles;
let alice: { id: string; token: string };
let bob: { id: string; token: string };
let fileId: string;
let uploadPath: string;
let document: OpenApiDocument;
let operations: SweptOperation[] = [];

beforeAll(async () => {
  t = await startTestFiles();
  [alice, bob] = await Promise.all([t.user(), t.user()]);
  fileId = (await t.upload(alice.token, await images.png(), { name: "mine.png" })).json.id;
  const created = await fetch(`${t.url}/files/uploads`, {
    method: "POST",
    headers: { authorization: `Bearer ${alice.token}`, "tus-resumable": "1.0.0", "upload-length": "10" },
  });
  uploadPath = created.headers.get("location") as string;
  document = (await t.call("GET", "/files/openapi.json")).json;
  operations = operationsOf(document);
});
afterAll(() => t.close());

const tus = { "tus-resumable": "1.0.0" };
const fill = (path: string, id: string) => path.replace("{id}", id).replace("{userId}", id);

async function send(operation: SweptOperation, path: string, options: { token?: string; body?: string; headers?: Record<string, string> } = {}) {
  return call(t.url, operation.method, path, { token: options.token, body: options.body, headers: { ...tus, ...options.headers } });
}

/** An answer that is allowed to have no body (HEAD-like tus answers have none). */
function expect4xx(response: { status: number; json: { error?: Record<string, unknown> } }, label: string) {
  if (response.status < 400 || response.status >= 500) throw new Error(`${label}: expected a 4xx, got ${response.status} ${JSON.stringify(response.json)}`);
  if (response.json !== undefined) expectErrorShape(response, label);
}

describe("every operation", () => {
  test("the document lists every route, each with its error responses", async () => {
    const document = (await t.call("GET", "/files/openapi.json")).json;
    expect(operations.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual([
      "DELETE /files/uploads/{id}",
      "DELETE /files/{id}",
      "GET /files",
      "GET /files/export/{userId}",
      "GET /files/uploads/{id}",
      "GET /files/{id}",
      "GET /files/{id}/content",
      "OPTIONS /files/uploads",
      "PATCH /files/uploads/{id}",
      "PATCH /files/{id}",
      "POST /files",
      "POST /files/uploads",
      "POST /files/{id}/signed-url",
    ]);
    for (const methods of Object.values(document.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)) {
      for (const operation of Object.values(methods)) expect(Object.keys(operation.responses)).toContain("422");
    }
  });

  test("no token, a bad token, another user's token: 4xx everywhere (OPTIONS aside), nothing stored", async () => {
    const before = await t.snapshot();
    for (const operation of operations.filter((candidate) => candidate.method !== "OPTIONS")) {
      const path = operation.path.startsWith("/files/uploads/") ? uploadPath : fill(operation.path, operation.path.includes("userId") ? alice.id : fileId);
      const body = operation.jsonBody ? JSON.stringify({ public: true, expiresIn: 60 }) : ["GET", "HEAD"].includes(operation.method) ? undefined : "x";
      for (const token of [undefined, "not-a-token", `${alice.token.slice(0, -4)}AAAA`, bob.token]) {
        const label = `${operation.method} ${path} with ${token === bob.token ? "another user's token" : (token ?? "no token")}`;
        // Bob may list his own files and upload his own: those are not another user's resources.
        if (token === bob.token && ["GET /files", "POST /files", "POST /files/uploads"].includes(`${operation.method} ${operation.path}`)) continue;
        const response = await send(operation, path, { token, body, headers: { "content-type": operation.jsonBody ? "application/json" : "text/plain" } });
        expect4xx(response, label);
      }
    }
    expect((await t.snapshot()).files).toBe(before.files);
  });

  test("malformed ids and hostile path segments are 4xx", async () => {
    for (const operation of operations.filter((candidate) => candidate.path.includes("{"))) {
      for (const id of ["not-a-uuid", "..%2F..%2Fetc%2Fpasswd", "%00", "00000000-0000-0000-0000-000000000000", crypto.randomUUID(), "' OR 1=1 --", "😀"]) {
        const response = await send(operation, fill(operation.path, id), { token: alice.token, body: operation.jsonBody ? "{}" : undefined });
        if (operation.method === "GET" && operation.path === "/files/export/{userId}") continue; // a user's token: 403 before the id is read
        expect4xx(response, `${operation.method} ${fill(operation.path, id)}`);
      }
    }
  });

  test("hostile JSON bodies and malformed JSON on the JSON routes are 4xx and change nothing", async () => {
    const before = await t.snapshot();
    for (const operation of operations.filter((candidate) => candidate.jsonBody)) {
      const path = fill(operation.path, fileId);
      const bodies = [
        '{"public": ',
        "[]",
        "null",
        JSON.stringify({ public: "yes", expiresIn: "soon" }),
        JSON.stringify({ expiresIn: -1 }),
        JSON.stringify({ expiresIn: 1e12 }),
        ...hostileStrings.map((value) => JSON.stringify({ public: value, expiresIn: value, extra: value })),
      ];
      for (const body of bodies) expect4xx(await send(operation, path, { token: alice.token, body }), `${operation.method} ${path} ${body.slice(0, 40)}`);
      expect4xx(
        await send(operation, path, { token: alice.token, body: "public=true", headers: { "content-type": "application/x-www-form-urlencoded" } }),
        "form body",
      );
    }
    expect(await t.snapshot()).toEqual(before);
  });

  test("the kit's body sweep: malformed, mistyped, incomplete, oversized and hostile JSON bodies are 4xx and change nothing", async () => {
    const before = await t.snapshot();
    const swept = await sweepDocument({
      document,
      // Over BODY_LIMIT_BYTES' default (64 KiB), which the file service keeps.
      oversizedBytes: 70_000,
      send: (operation, body, headers) => call(t.url, operation.method, fill(operation.path, fileId), { body, token: alice.token, headers }),
      // Values these fields take: `public` a boolean, `expiresIn` a number of seconds within its bounds.
      skipWrong: (value, property) => (property === "public" && typeof value === "boolean") || (property === "expiresIn" && value === 123),
    });
    expect(swept.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual(["PATCH /files/{id}", "POST /files/{id}/signed-url"]);
    expect(await t.snapshot()).toEqual(before);
  });

  test("missing, garbage, tampered and alg:none tokens are 401 in the error shape on every guarded route", async () => {
    const guarded = operations
      .filter((operation) => operation.method !== "OPTIONS")
      .map((operation) => [operation.method, operation.path.startsWith("/files/uploads/") ? uploadPath : fill(operation.path, fileId)] as const);
    await sweepAuthorizations({
      routes: guarded,
      token: alice.token,
      send: (method, path, headers) => call(t.url, method, path, { headers: { ...tus, ...headers } }),
    });
  });

  test("hostile query values are 4xx or ignored, never a 5xx", async () => {
    for (const operation of operations.filter((candidate) => candidate.query.length > 0 && candidate.method === "GET")) {
      const path = fill(operation.path, fileId);
      for (const name of operation.query) {
        for (const value of [
          ...hostileStrings.filter((hostile) => !/[\ud800-\udfff]/.test(hostile) || /😀/.test(hostile)),
          "-1",
          "1e99",
          "NaN",
          "99999999999999999999",
        ]) {
          const response = await call(t.url, "GET", `${path}?${name}=${encodeURIComponent(value)}`, { token: alice.token });
          if (response.status >= 500) throw new Error(`GET ${path}?${name}=${value.slice(0, 30)}: ${response.status} ${response.text.slice(0, 200)}`);
        }
      }
    }
  });
});

/**
 * The file tests take their tokens from the kit's test issuer, so the service must still refuse what
 * the auth service would never have signed, and drop a session auth revoked.
 */
describe("tokens", () => {
  test("a token from another key, issuer or audience, or an expired one, is 401; the issuer's own is accepted", async () => {
    const list = async (token: string) => {
      const response = await t.call("GET", "/files", { token });
      return `${response.status} ${response.json.error?.message ?? ""}`.trim();
    };
    expect(await list((await t.user()).token)).toBe("200");
    expect(await list((await t.issuer.user({ unpublishedKey: true })).token)).toBe("401 Invalid token");
    expect(await list((await t.issuer.user({ issuer: "someone-else" })).token)).toBe("401 Invalid token");
    expect(await list((await t.issuer.user({ audience: "another-api" })).token)).toBe("401 Invalid token");
    const issuedAt = new Date(Date.now() - (ACCESS_TOKEN_TTL_SECONDS + 60) * 1000);
    expect(await list((await t.issuer.user({ issuedAt })).token)).toBe("401 Token expired");
    expect(await list(await t.issuer.client("users-service", ["files:read"], { unpublishedKey: true }))).toBe("401 Invalid token");
  });

  test("a session revoked on the bus (auth.session_revoked) is refused; the user's other sessions keep working", async () => {
    const alice = await t.user();
    const otherDevice = await t.issuer.user({ id: alice.id });
    expect((await t.call("GET", "/files", { token: alice.token })).status).toBe(200);
    await t.issuer.revoke(t.deps.bus, alice);
    await eventually(async () => (await t.call("GET", "/files", { token: alice.token })).status === 401);
    expect((await t.call("GET", "/files", { token: alice.token })).json.error.message).toBe("Session revoked");
    expect((await t.call("GET", "/files", { token: otherDevice.token })).status).toBe(200);
  });
});
