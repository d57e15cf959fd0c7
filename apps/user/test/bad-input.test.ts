import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { deletions, preferences, profiles } from "@lodge/db/schema";
import {
  expectChunkedBodyCutOff,
  expectErrorShape,
  type OpenApiDocument,
  operationsOf,
  type SweptOperation,
  hostileStrings as sharedHostileStrings,
  sweepAuthorizations,
  sweepDocument,
} from "@lodge/kit/testing";
import { count } from "drizzle-orm";
import { startTestStack, type TestStack } from "./harness";

/**
 * Every operation in the user service's OpenAPI document that takes a body is sent malformed,
 * mistyped, incomplete, oversized and hostile input; the admin search gets hostile queries; every
 * guarded route gets bad tokens. Each answer is a 4xx in the one error shape, and nothing is written.
 */
let stack: TestStack;
let token: string;
let adminToken: string;
let operations: SweptOperation[] = [];
let document: OpenApiDocument;

beforeAll(async () => {
  stack = await startTestStack({ env: { BODY_LIMIT_BYTES: "4096" } });
  const user = await stack.register({ name: "Sweep" });
  await stack.profileArrived(user.id);
  token = user.accessToken;
  adminToken = (await stack.admin()).accessToken;
  document = (await stack.call("GET", "/users/openapi.json")).json;
  operations = operationsOf(document).filter((operation) => operation.schema);
});
afterAll(() => stack.close());

async function state() {
  const tables = { profiles, preferences, deletions };
  const counts = await Promise.all(Object.entries(tables).map(async ([name, table]) => [name, (await stack.db.select({ n: count() }).from(table))[0]?.n]));
  return { counts: Object.fromEntries(counts), me: (await stack.call("GET", "/users/me", { token })).json };
}

/** The kit's hostile strings, and a few that matter to these fields. */
const hostileStrings = [...sharedHostileStrings, "Europe/../../etc", "%00"];

describe("every body-taking route", () => {
  test("the document lists them, with their fields", () => {
    expect(operations.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual([
      "DELETE /users/me",
      "PATCH /users/me",
      "PUT /users/me/preferences",
    ]);
    expect(operations.map((operation) => Object.keys(operation.schema?.properties ?? {}).length)).toEqual([5, 1, 2]);
  });

  test("malformed JSON, wrong types, missing fields, unknown keys, wrong content type, oversized, hostile strings", async () => {
    const before = await state();
    // The token is older than the 5-minute window, so a body that slipped through validation could never delete the account.
    stack.advance(6 * 60 * 1000);
    try {
      const swept = await sweepDocument({
        document,
        send: (operation, body, headers) => stack.call(operation.method, operation.path, { body, token, headers }),
        oversizedBytes: 8000,
        // null clears a nullable field (tested in profiles).
        skipWrong: (value, _property, operation) => value === null && operation.method === "PATCH",
        moreHostileStrings: ["Europe/../../etc", "%00"],
      });
      expect(swept).toEqual(operations);
      // Hostile strings in each profile field alone (the others absent): refused, or stored as the text they are.
      for (const field of ["displayName", "bio", "locale", "timezone", "avatarFileId"]) {
        for (const hostile of hostileStrings) {
          const response = await stack.call("PATCH", "/users/me", { token, body: { [field]: hostile } });
          if (response.status === 200) {
            expect(response.json[field]).toBe(hostile.trim());
            await stack.call("PATCH", "/users/me", { token, body: { [field]: before.me[field] } });
          } else expectErrorShape(response, `PATCH ${field} alone ${JSON.stringify(hostile).slice(0, 20)}`);
        }
      }
    } finally {
      stack.advance(-6 * 60 * 1000);
    }
    expect(await state()).toEqual({ ...before, me: { ...before.me, updatedAt: expect.any(String) } });
  }, 120_000);

  test("validation details name the field without echoing the input, and unknown keys by name", async () => {
    const response = await stack.call("PATCH", "/users/me", { token, body: { timezone: "SECRET/Nowhere", shoeSize: 44 } });
    expect(response.status).toBe(422);
    expect(response.json.error.details).toEqual(
      expect.arrayContaining([
        { path: "timezone", message: "must be an IANA time zone, e.g. Europe/Berlin" },
        { path: "", message: expect.stringContaining("shoeSize") },
      ]),
    );
    expect(JSON.stringify(response.json)).not.toContain("SECRET");
  });

  test("a chunked body over the limit is cut off with 413", async () => {
    await expectChunkedBodyCutOff(`${stack.url}/users/me`, { method: "PATCH", token });
  });
});

describe("query and path parameters", () => {
  test("hostile search queries are answered, never with a 5xx; bad cursors, limits and ids are 422", async () => {
    for (const hostile of hostileStrings.filter((value) => value.isWellFormed())) {
      const response = await stack.call("GET", `/users?q=${encodeURIComponent(hostile)}`, { token: adminToken });
      expect({ hostile, status: response.status < 500 }).toEqual({ hostile, status: true });
      if (response.status !== 200) expectErrorShape(response, `q=${hostile.slice(0, 20)}`);
    }
    for (const query of [
      "q=%00",
      `q=${"a".repeat(300)}`,
      "cursor=%00",
      `cursor=${"a".repeat(100)}`,
      "cursor=bm90LWEtdXVpZA",
      "limit=-1",
      "limit=1e9",
      "limit=",
      "q=%E2%80%AE",
      "q=%ED%A0%80",
      "q=%FF",
      "q=%",
    ]) {
      const response = await stack.call("GET", `/users?${query}`, { token: adminToken });
      if (response.status !== 200) expectErrorShape(response, query);
      expect(response.status === 200 || response.status === 422).toBe(true);
    }
    const settingsToken = await stack.client("notifications");
    for (const id of ["me2", "..%2F..%2Fetc%2Fpasswd", "00000000-0000-0000-0000-00000000000g", "%00", "' OR 1=1"]) {
      expectErrorShape(await stack.call("GET", `/users/${id}`, { token }), `GET /users/${id}`);
      expectErrorShape(await stack.call("GET", `/users/${id}/settings`, { token: settingsToken }), `GET /users/${id}/settings`);
    }
  });
});

describe("tokens presented to guarded routes", () => {
  const guarded = [
    ["GET", "/users/me"],
    ["PATCH", "/users/me"],
    ["DELETE", "/users/me"],
    ["GET", "/users/me/export"],
    ["GET", "/users/me/preferences"],
    ["PUT", "/users/me/preferences"],
    ["GET", "/users"],
    ["GET", "/users/01a2b3c4-0000-7000-8000-000000000000"],
    ["GET", "/users/01a2b3c4-0000-7000-8000-000000000000/settings"],
  ] as const;

  test("missing, garbage, tampered, alg:none and expired tokens are 401 in the error shape", async () => {
    await sweepAuthorizations({ routes: guarded, token, send: (method, path, headers) => stack.call(method, path, { headers }) });
    stack.advance(16 * 60 * 1000);
    try {
      const expired = await stack.call("GET", "/users/me", { token });
      expect(expired.status).toBe(401);
      expect(expired.json.error.message).toBe("Token expired");
    } finally {
      stack.advance(-16 * 60 * 1000);
    }
  });

  test("X-Lodge-User, on the routes that take it: malformed or hostile is 4xx, a client without the scope or naming no one and a user naming another are 403; nothing changed", async () => {
    const taking = operationsOf(document).filter((operation) => operation.headers.includes("x-lodge-user"));
    expect(taking.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual([
      "GET /users/me",
      "GET /users/me/preferences",
      "PUT /users/me/preferences",
    ]);
    const me = (await stack.call("GET", "/users/me", { token })).json;
    // A valid body: only the header is wrong.
    const preferences = (await stack.call("GET", "/users/me/preferences", { token })).json.preferences;
    const [bot, scopeless, other] = [await stack.client("bot"), await stack.client("notifications"), await stack.register()];
    await stack.profileArrived(other.id);
    const before = await state();
    const send = (operation: SweptOperation, caller: string, actingFor?: string) =>
      stack.call(operation.method, operation.path, {
        token: caller,
        body: operation.jsonBody ? { version: 0, preferences } : undefined,
        headers: actingFor === undefined ? {} : { "x-lodge-user": actingFor },
      });
    // Header values must be visible ASCII (fetch refuses the rest).
    const malformed = [...hostileStrings.filter((value) => /^[\x20-\x7e]*$/.test(value)), "not-a-uuid", `${me.id}x`];
    for (const operation of taking) {
      const label = `${operation.method} ${operation.path}`;
      for (const value of malformed) {
        const response = await send(operation, bot, value);
        expect({ label, value, is4xx: response.status >= 400 && response.status < 500 }).toEqual({ label, value, is4xx: true });
        expectErrorShape(response, `${label} X-Lodge-User ${value.slice(0, 20)}`);
      }
      for (const [who, caller, actingFor] of [
        ["a client without the scope", scopeless, me.id],
        ["a client naming no one", bot, undefined],
        ["another user's token", other.accessToken, me.id],
      ] as const) {
        const response = await send(operation, caller, actingFor);
        expect({ label, who, status: response.status }).toEqual({ label, who, status: 403 });
        expectErrorShape(response, `${label} ${who}`);
      }
    }
    expect(await state()).toEqual(before);
  });

  test("the operational routes and the OpenAPI document", async () => {
    expect((await stack.call("GET", "/health")).json).toEqual({ status: "ok" });
    expect((await stack.call("GET", "/ready")).json).toEqual({ status: "ok", checks: { postgres: "ok", redis: "ok" } });
    expect((await stack.call("GET", "/metrics")).text).toContain("http_request_duration_seconds");
    expect(document.paths).toHaveProperty("/users/{id}");
    // The service-client route declares its errors.
    const { paths } = (await stack.call("GET", "/users/openapi.json")).json;
    expect(Object.keys(paths["/users/{id}/settings"].get.responses)).toEqual(expect.arrayContaining(["200", "401", "403", "404", "422"]));
  });
});
