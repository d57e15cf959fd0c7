import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { oneTimeTokens, refreshTokens, serviceClients, sessions, users } from "@lodge/db/schema";
import { expectChunkedBodyCutOff, type OpenApiDocument, operationsOf, type SweptOperation, sweepAuthorizations, sweepDocument } from "@lodge/kit/testing";
import { count } from "drizzle-orm";
import { createAdmin } from "../src/services/create-admin";
import { startTestAuth, type TestAuth } from "./harness";

/**
 * Every operation in the auth service's own OpenAPI document is sent malformed, mistyped,
 * incomplete, oversized and hostile input: each answer is a 4xx in the one error shape, and
 * nothing is written.
 */
let auth: TestAuth;
let token: string;
/** Admin routes are swept with an admin's token and internal ones with a client's, so the input reaches validation. */
let tokens: Record<string, string>;
let document: OpenApiDocument;
let operations: SweptOperation[] = [];
const CLIENT_SECRET = "sweep-sweep-sweep-sweep-sweep-32";

beforeAll(async () => {
  auth = await startTestAuth({ BODY_LIMIT_BYTES: "4096", AUTH_CLIENTS: `sweeper:${CLIENT_SECRET}:auth:verify_password users:export` });
  token = (await auth.register()).accessToken;
  const admin = { email: "sweep-admin@example.com", password: "an admin password" };
  await createAdmin({ ctx: { deps: auth.deps, logger: auth.deps.logger }, input: admin });
  const client = await auth.call("POST", "/auth/token", { body: { clientId: "sweeper", clientSecret: CLIENT_SECRET } });
  tokens = { admin: (await auth.call("POST", "/auth/login", { body: admin })).json.accessToken, internal: client.json.accessToken };
  document = (await auth.call("GET", "/auth/openapi.json")).json;
  operations = operationsOf(document).filter((operation) => operation.schema);
});
afterAll(() => auth.close());

/** A path with its id filled in (a user no one has: the body is refused before the id matters). */
const fill = (path: string) => path.replace("{id}", "01a2b3c4-0000-7000-8000-000000000000");

async function rowCounts() {
  const tables = { users, sessions, refreshTokens, oneTimeTokens, serviceClients };
  const entries = await Promise.all(Object.entries(tables).map(async ([name, table]) => [name, (await auth.deps.db.select({ n: count() }).from(table))[0]?.n]));
  return Object.fromEntries(entries);
}

describe("every body-taking route", () => {
  test("the document lists the body-taking routes", () => {
    expect(operations.map((operation) => `${operation.method} ${fill(operation.path)}`)).toEqual(
      expect.arrayContaining([
        "POST /auth/register",
        "POST /auth/login",
        "POST /auth/refresh",
        "POST /auth/password/change",
        "POST /auth/token",
        "PATCH /auth/users/01a2b3c4-0000-7000-8000-000000000000/role",
        "POST /auth/users/01a2b3c4-0000-7000-8000-000000000000/ban",
        "POST /auth/users/01a2b3c4-0000-7000-8000-000000000000/password/verify",
      ]),
    );
  });

  test("malformed JSON, wrong types, missing fields, wrong content type, oversized, hostile strings", async () => {
    const before = await rowCounts();
    const swept = await sweepDocument({
      document,
      oversizedBytes: 8000,
      send: (operation, body, headers) => {
        // Logout with a bearer ignores the body (and would end the session), so its body is tested without one.
        const bearer = operation.path === "/auth/logout" ? undefined : (operation.tags.map((tag) => tokens[tag]).find(Boolean) ?? token);
        return auth.call(operation.method, fill(operation.path), { body, token: bearer, headers });
      },
    });
    expect(swept).toEqual(operations);
    expect(await rowCounts()).toEqual(before);
  }, 120_000);

  test("validation details name the field without echoing the input", async () => {
    const response = await auth.call("POST", "/auth/register", { body: { email: "not-an-email-SECRET", password: "short" } });
    expect(response.status).toBe(422);
    expect(response.json.error.code).toBe("VALIDATION_FAILED");
    expect(response.json.error.details.map((detail: { path: string }) => detail.path).sort()).toEqual(["email", "password"]);
    expect(JSON.stringify(response.json)).not.toContain("SECRET");
  });

  test("a chunked body over the limit is cut off with 413", async () => {
    await expectChunkedBodyCutOff(`${auth.url}/auth/login`, { method: "POST" });
  });
});

describe("tokens presented to guarded routes", () => {
  const guarded = [
    ["GET", "/auth/me"],
    ["GET", "/auth/sessions"],
    ["DELETE", "/auth/sessions"],
    ["POST", "/auth/email/verification"],
    ["DELETE", "/auth/users/01a2b3c4-0000-7000-8000-000000000000/ban"],
    ["GET", "/auth/users/01a2b3c4-0000-7000-8000-000000000000/export"],
  ] as const;

  test("missing, garbage, tampered and alg:none tokens are 401 in the error shape", async () => {
    await sweepAuthorizations({ routes: guarded, token, send: (method, path, headers) => auth.call(method, path, { headers }) });
  });

  test("an expired token is 401", async () => {
    auth.advance(16 * 60 * 1000);
    const response = await auth.call("GET", "/auth/me", { token });
    auth.advance(-16 * 60 * 1000);
    expect(response.status).toBe(401);
    expect(response.json.error.message).toBe("Token expired");
  });

  test("a client token cannot use user routes", async () => {
    const other = await startTestAuth({ AUTH_CLIENTS: "worker:0123456789abcdef0123456789abcdef:users:read" });
    try {
      const issued = await other.call("POST", "/auth/token", { body: { clientId: "worker", clientSecret: "0123456789abcdef0123456789abcdef" } });
      expect(issued.status).toBe(200);
      const response = await other.call("GET", "/auth/me", { token: issued.json.accessToken });
      expect(response.status).toBe(403);
    } finally {
      await other.close();
    }
  });
});
