import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { admittedChats, botInvites, botLinks, linkTokens } from "@lodge/db/schema";
import {
  call,
  documentPart,
  expectChunkedBodyCutOff,
  expectErrorShape,
  hostileStrings,
  type OpenApiDocument,
  operationsOf,
  type SweptOperation,
  sweepAuthorizations,
  sweepDocument,
} from "@lodge/kit/testing";
import { startTestBot, type TestBot } from "./harness";

/**
 * Every operation in the bot service's own OpenAPI document is sent missing and bad credentials,
 * the wrong kind of caller, malformed and hostile ids and bodies: each answer is a 4xx in the one
 * error shape (never a 5xx), and nothing is written.
 */
let bot: TestBot;
let admin: { id: string; token: string };
let user: { id: string; token: string };
let exporter: string;
let inviteId: string;
let document: OpenApiDocument;
let operations: SweptOperation[];

beforeAll(async () => {
  bot = await startTestBot({ env: { BOT_ACCESS: "invite" } });
  [admin, user] = await Promise.all([bot.issuer.admin(), bot.issuer.user()]);
  exporter = await bot.issuer.client("user-service", ["bot:export"]);
  inviteId = (await bot.call("POST", "/bot/invites", { token: admin.token, body: { note: "kept" } })).json.id;
  // Telegram's webhook takes no bearer token: its secret and bad bodies are webhook.test.ts's.
  document = documentPart((await bot.call("GET", "/bot/openapi.json")).json, (path) => path !== "/bot/webhook");
  operations = operationsOf(document);
});
afterAll(() => bot.close());

const fill = (path: string, id: string) => path.replace("{id}", id).replace("{userId}", id);
/** The token each route is meant for: an admin's for invites, the exporting client's for the export, a user's for their link. */
const tokenFor = (path: string) => (path.startsWith("/bot/invites") ? admin.token : path.startsWith("/bot/export") ? exporter : user.token);
/** Every row the bot keeps: what a refused request must leave unchanged. */
const snapshot = async () => ({
  invites: await bot.db.select().from(botInvites).orderBy(botInvites.id),
  admitted: await bot.db.select().from(admittedChats),
  links: await bot.db.select().from(botLinks),
  tokens: await bot.db.select().from(linkTokens),
});

describe("every operation", () => {
  test("the document lists every route, each declaring its error responses", async () => {
    const all = operationsOf((await bot.call("GET", "/bot/openapi.json")).json);
    expect(all.map((operation) => `${operation.method} ${operation.path}`)).toContain("POST /bot/webhook");
    expect(operations.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual(
      [
        "DELETE /bot/invites/{id}",
        "DELETE /bot/link",
        "GET /bot/export/{userId}",
        "GET /bot/invites",
        "GET /bot/invites/{id}/uses",
        "GET /bot/link",
        "POST /bot/invites",
        "POST /bot/link",
      ].sort(),
    );
    for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, { responses: Record<string, unknown>; summary?: string }>>)) {
      for (const [method, operation] of Object.entries(methods)) {
        expect({ path, method, errors: Object.keys(operation.responses) }).toEqual({
          path,
          method,
          errors: expect.arrayContaining(["401", "403", "422", "503"]),
        });
        expect(operation.summary).toBeTruthy();
      }
    }
  });

  test("the kit's body sweep: malformed, mistyped, incomplete, oversized and hostile JSON bodies are 4xx and write nothing", async () => {
    const before = await snapshot();
    const swept = await sweepDocument({
      document,
      // Over BODY_LIMIT_BYTES' default (64 KiB).
      oversizedBytes: 70_000,
      send: (operation, body, headers) => call(bot.url, operation.method, fill(operation.path, inviteId), { body, token: tokenFor(operation.path), headers }),
    });
    expect(swept.map((operation) => `${operation.method} ${operation.path}`)).toEqual(["POST /bot/invites"]);
    await expectChunkedBodyCutOff(`${bot.url}/bot/invites`, { method: "POST", token: admin.token, bytes: 70_000 });
    expect(await snapshot()).toEqual(before);
  });

  test("an invite's fields out of range or of the wrong kind are 422; a hostile note is refused or kept as the text it is", async () => {
    const before = await snapshot();
    for (const body of [
      { maxUses: 0 },
      { maxUses: 100_001 },
      { maxUses: 1.5 },
      { maxUses: "3" },
      { expiresAt: "tomorrow" },
      { expiresAt: "2026-03-10" },
      { expiresAt: "1970-01-01T00:00:00Z" },
      { note: "x".repeat(201) },
      { note: 42 },
      { code: "my-own-code" },
      { uses: 5 },
    ]) {
      const response = await bot.call("POST", "/bot/invites", { token: admin.token, body });
      expect({ body, status: response.status }).toEqual({ body, status: 422 });
      expectErrorShape(response, JSON.stringify(body));
    }
    expect(await snapshot()).toEqual(before);
    for (const hostile of hostileStrings) {
      const response = await bot.call("POST", "/bot/invites", { token: admin.token, body: { note: hostile } });
      if (response.status !== 201) expectErrorShape(response, `note ${JSON.stringify(hostile).slice(0, 20)}`);
      else expect(response.json.note).toBe(hostile.trim());
    }
  });

  test("malformed ids and hostile path segments are 4xx for the caller each route is meant for, and change nothing", async () => {
    const before = await snapshot();
    for (const operation of operations.filter((candidate) => candidate.path.includes("{"))) {
      for (const id of [
        "not-a-uuid",
        "..%2F..%2Fetc%2Fpasswd",
        "%00",
        "00000000-0000-0000-0000-000000000000",
        crypto.randomUUID(),
        "' OR 1=1 --",
        "😀",
        "9".repeat(400),
      ]) {
        const response = await call(bot.url, operation.method, fill(operation.path, id), { token: tokenFor(operation.path) });
        // An unknown user's export is an empty one (200); everything else unknown is 404, malformed 422.
        if (operation.path === "/bot/export/{userId}" && response.status === 200) expect(response.json.telegram).toBeNull();
        else expectErrorShape(response, `${operation.method} ${fill(operation.path, id)}`);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  test("the wrong kind of caller is 403 everywhere: users on invites and the export, clients on links and invites, a client without bot:export", async () => {
    const before = await snapshot();
    const otherClient = await bot.issuer.client("analytics-service", ["analytics:export"]);
    const wrongTokens: Record<string, string[]> = {
      "/bot/invites": [user.token, exporter],
      "/bot/export": [user.token, admin.token, otherClient],
      "/bot/link": [exporter, otherClient],
    };
    for (const operation of operations) {
      const kind = Object.keys(wrongTokens).find((prefix) => operation.path.startsWith(prefix)) ?? "";
      for (const token of wrongTokens[kind] ?? []) {
        const response = await call(bot.url, operation.method, fill(operation.path, operation.path.includes("userId") ? user.id : inviteId), {
          token,
          body: operation.jsonBody ? { maxUses: 2 } : undefined,
        });
        expect({ route: `${operation.method} ${operation.path}`, status: response.status }).toEqual({
          route: `${operation.method} ${operation.path}`,
          status: 403,
        });
        expectErrorShape(response, `${operation.method} ${operation.path}`);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  test("missing, garbage, tampered and alg:none tokens are 401 in the error shape on every route", async () => {
    const before = await snapshot();
    await sweepAuthorizations({
      routes: operations.map((operation) => [operation.method, fill(operation.path, operation.path.includes("userId") ? user.id : inviteId)] as const),
      token: user.token,
      send: (method, path, headers) => call(bot.url, method, path, { headers }),
    });
    expect(await snapshot()).toEqual(before);
  });

  test("an unknown route or method is a 4xx in the error shape", async () => {
    for (const [method, path] of [
      ["GET", "/bot/nothing-here"],
      ["PUT", "/bot/link"],
      ["PATCH", "/bot/invites"],
      ["POST", `/bot/invites/${inviteId}/uses`],
    ] as const) {
      expectErrorShape(await bot.call(method, path, { token: admin.token, body: method === "GET" ? undefined : {} }), `${method} ${path}`);
    }
  });
});
