import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { categoryPreferences, fcmDevices, notifications, pushSubscriptions, reminders } from "@lodge/db/schema";
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
import { createNotification } from "../src/services/create-notification";
import { startTestNotifications, type TestNotifications } from "./harness";

/**
 * Every operation in the notification service's own OpenAPI document is sent missing and bad
 * credentials, another user's ids, malformed and hostile path, query and body values: each answer
 * is a 4xx in the one error shape (never a 5xx), and nothing changes.
 */
let t: TestNotifications;
let alice: { id: string; token: string };
let bob: { id: string; token: string };
let notificationId: string;
let document: OpenApiDocument;
let operations: SweptOperation[] = [];

beforeAll(async () => {
  t = await startTestNotifications({ jobs: false });
  [alice, bob] = await Promise.all([t.user(), t.user()]);
  const data = { title: "Hello", body: "There" };
  notificationId = (await createNotification({ ctx: t.ctx, input: { userId: alice.id, type: "system.announcement", data } })).id;
  document = (await t.call("GET", "/notifications/openapi.json")).json;
  operations = operationsOf(document);
});
afterAll(() => t.close());

/** Routes a token in their link authorizes, not a bearer: the one-click unsubscribe link. */
const isPublic = (path: string) => path === "/notifications/unsubscribe";
const fill = (path: string, id: string) => path.replace("{id}", id).replace("{userId}", id);
/** Every notification row as it is: what a refused request must leave unchanged. */
const snapshot = async () => ({
  notifications: await t.db.select().from(notifications).orderBy(notifications.id),
  choices: await t.db.select().from(categoryPreferences),
  subscriptions: await t.db.select().from(pushSubscriptions),
  devices: await t.db.select().from(fcmDevices),
  reminders: await t.db.select().from(reminders).orderBy(reminders.id),
});

function expect4xx(response: { status: number; json: { error?: Record<string, unknown> } }, label: string) {
  if (response.status < 400 || response.status >= 500) throw new Error(`${label}: expected a 4xx, got ${response.status} ${JSON.stringify(response.json)}`);
  expectErrorShape(response, label);
}

describe("every operation", () => {
  test("the document lists every route, each with its error responses", () => {
    expect(operations.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual(
      [
        "DELETE /notifications/devices",
        "DELETE /notifications/push-subscriptions",
        "DELETE /notifications/{id}",
        "GET /notifications",
        "GET /notifications/admin/deliveries",
        "GET /notifications/export/{userId}",
        "GET /notifications/preferences",
        "GET /notifications/push/vapid-public-key",
        "GET /notifications/realtime",
        "GET /notifications/unread-count",
        "GET /notifications/unsubscribe",
        "POST /notifications/unsubscribe",
        "GET /notifications/{id}",
        "PATCH /notifications/{id}",
        "POST /notifications/admin/deliveries/{id}/retry",
        "POST /notifications/devices",
        "POST /notifications/push-subscriptions",
        "POST /notifications/read-all",
        "POST /notifications/realtime/ticket",
        "PUT /notifications/preferences",
        "DELETE /notifications/webhooks/{id}",
        "GET /notifications/webhooks",
        "GET /notifications/webhooks/{id}",
        "GET /notifications/webhooks/{id}/deliveries",
        "PATCH /notifications/webhooks/{id}",
        "POST /notifications/webhooks",
        "POST /notifications/webhooks/{id}/deliveries/{deliveryId}/retry",
        "POST /notifications/webhooks/{id}/rotate-secret",
        "DELETE /notifications/reminders/{id}",
        "DELETE /notifications/scheduled/{id}",
        "GET /notifications/reminders",
        "GET /notifications/scheduled",
        "POST /notifications/reminders",
        "POST /notifications/send",
      ].sort(),
    );
    for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)) {
      // The public unsubscribe link's token is checked by the route (403), not by a bearer guard (401).
      const errors = isPublic(path) ? ["403", "422", "429", "503"] : ["401", "403", "422", "503"];
      for (const operation of Object.values(methods)) expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(errors));
    }
  });

  test("no token, a bad token, another user's token: 4xx on every route about a notification, nothing changed", async () => {
    const before = await snapshot();
    for (const operation of operations) {
      const path = fill(operation.path, operation.path.includes("userId") ? alice.id : notificationId);
      const body = operation.jsonBody ? JSON.stringify({ read: true }) : undefined;
      for (const token of [undefined, "not-a-token", `${alice.token.slice(0, -4)}AAAA`, bob.token]) {
        // Bob's own inbox, count and read-all are his, not another user's resources.
        if (token === bob.token && !operation.path.includes("{")) continue;
        const response = await call(t.url, operation.method, path, { token, body, headers: operation.jsonBody ? { "content-type": "application/json" } : {} });
        expect4xx(response, `${operation.method} ${path} with ${token === bob.token ? "another user's token" : (token ?? "no token")}`);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  test("malformed ids and hostile path segments are 4xx", async () => {
    for (const operation of operations.filter((candidate) => candidate.path.includes("{"))) {
      for (const id of ["not-a-uuid", "..%2F..%2Fetc%2Fpasswd", "%00", "00000000-0000-0000-0000-000000000000", crypto.randomUUID(), "' OR 1=1 --", "😀"]) {
        const response = await call(t.url, operation.method, fill(operation.path, id), { token: alice.token, body: operation.jsonBody ? "{}" : undefined });
        expect4xx(response, `${operation.method} ${fill(operation.path, id)}`);
      }
    }
  });

  test("hostile and malformed JSON bodies are 4xx and change nothing", async () => {
    const before = await snapshot();
    for (const operation of operations.filter((candidate) => candidate.jsonBody)) {
      const path = fill(operation.path, notificationId);
      const bodies = [
        '{"read": ',
        "[]",
        "null",
        "{}",
        JSON.stringify({ read: "yes" }),
        JSON.stringify({ read: true, extra: 1 }),
        ...hostileStrings.map((value) => JSON.stringify({ read: value, archived: value })),
      ];
      for (const body of bodies)
        expect4xx(await call(t.url, operation.method, path, { token: alice.token, body }), `${operation.method} ${path} ${body.slice(0, 40)}`);
      expect4xx(
        await call(t.url, operation.method, path, { token: alice.token, body: "read=true", headers: { "content-type": "application/x-www-form-urlencoded" } }),
        "form body",
      );
    }
    expect(await snapshot()).toEqual(before);
  });

  test("the kit's body sweep: malformed, mistyped, incomplete, oversized and hostile JSON bodies are 4xx and change nothing", async () => {
    const before = await snapshot();
    const swept = await sweepDocument({
      document,
      oversizedBytes: 70_000,
      send: (operation, body, headers) => call(t.url, operation.method, fill(operation.path, notificationId), { body, token: alice.token, headers }),
      skipWrong: (value, property) => ["read", "archived"].includes(property) && typeof value === "boolean",
    });
    // The webhook routes are swept here as a non-admin (403); webhooks.test.ts sweeps them as an admin.
    // POST /notifications/send and /reminders are swept with the tokens they take in send.test.ts.
    expect(swept.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual([
      "DELETE /notifications/devices",
      "DELETE /notifications/push-subscriptions",
      "PATCH /notifications/webhooks/{id}",
      "PATCH /notifications/{id}",
      "POST /notifications/devices",
      "POST /notifications/push-subscriptions",
      "POST /notifications/reminders",
      "POST /notifications/send",
      "POST /notifications/webhooks",
      "PUT /notifications/preferences",
    ]);
    expect(await snapshot()).toEqual(before);
  });

  test("missing, garbage, tampered and alg:none tokens are 401 in the error shape on every route", async () => {
    await sweepAuthorizations({
      routes: operations
        .filter((operation) => !isPublic(operation.path))
        .map((operation) => [operation.method, fill(operation.path, operation.path.includes("userId") ? alice.id : notificationId)] as const),
      token: alice.token,
      send: (method, path, headers) => call(t.url, method, path, { headers }),
    });
  });

  test("X-Lodge-User, on the routes that take it: malformed or hostile is 4xx, a client without the scope or naming no one and a user naming another are 403; nothing changed", async () => {
    const taking = operations.filter((operation) => operation.headers.includes("x-lodge-user"));
    expect(taking.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual([
      "DELETE /notifications/reminders/{id}",
      "GET /notifications/reminders",
      "POST /notifications/reminders",
    ]);
    const at = new Date(t.now().getTime() + 24 * 3600_000).toISOString();
    const reminder = await t.call("POST", "/notifications/reminders", { token: alice.token, body: { text: "Kept", at } });
    expect(reminder.status).toBe(201);
    const actingClient = await t.issuer.client("acting", ["notifications:reminders"]);
    const scopeless = await t.issuer.client("scopeless", ["notifications:send"]);
    const before = await snapshot();
    const send = (operation: SweptOperation, token: string, actingFor?: string) =>
      call(t.url, operation.method, fill(operation.path, reminder.json.id), {
        token,
        body: operation.jsonBody ? { text: "Not stored", at } : undefined,
        headers: actingFor === undefined ? {} : { "x-lodge-user": actingFor },
      });
    // Header values must be visible ASCII (fetch refuses the rest).
    const malformed = [...hostileStrings.filter((value) => /^[\x20-\x7e]*$/.test(value)), "not-a-uuid", `${alice.id}x`, "%00"];
    for (const operation of taking) {
      const label = `${operation.method} ${operation.path}`;
      for (const value of malformed) expect4xx(await send(operation, actingClient, value), `${label} X-Lodge-User ${value.slice(0, 20)}`);
      for (const [who, token, actingFor] of [
        ["a client without the scope", scopeless, alice.id],
        ["a client naming no one", actingClient, undefined],
        ["another user's token", bob.token, alice.id],
      ] as const) {
        const response = await send(operation, token, actingFor);
        expect({ label, who, status: response.status }).toEqual({ label, who, status: 403 });
        expectErrorShape(response, `${label} ${who}`);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  test("the public unsubscribe link: a bearer token (good or bad) is no substitute for its signed token; hostile tokens and form bodies are 4xx, nothing changed", async () => {
    const before = await snapshot();
    for (const operation of operations.filter((candidate) => isPublic(candidate.path))) {
      for (const authorization of [undefined, `Bearer ${alice.token}`, "Bearer not-a-token"]) {
        const response = await call(t.url, operation.method, operation.path, { headers: authorization ? { authorization } : {} });
        expect4xx(response, `${operation.method} ${operation.path} with ${authorization?.slice(0, 20)}`);
      }
    }
    const form = { "content-type": "application/x-www-form-urlencoded" };
    // A lone surrogate cannot be put in a URL (the query sweep below leaves it out too).
    for (const value of hostileStrings.filter((hostile) => !/[\ud800-\udfff]/.test(hostile) || /😀/.test(hostile))) {
      const token = encodeURIComponent(value);
      expect4xx(
        await call(t.url, "POST", `/notifications/unsubscribe?token=${token}`, { body: "List-Unsubscribe=One-Click", headers: form }),
        `token ${value.slice(0, 30)}`,
      );
      expect4xx(
        await call(t.url, "POST", `/notifications/unsubscribe?token=${token}.${"A".repeat(43)}`, {
          body: `List-Unsubscribe=${encodeURIComponent(value)}`,
          headers: form,
        }),
        `body ${value.slice(0, 30)}`,
      );
    }
    for (const [body, headers] of [
      ["%%%", form],
      ["List-Unsubscribe=One-Click", { "content-type": "text/plain" }],
      ["List-Unsubscribe=One-Click", { "content-type": "application/json" }],
      ["x".repeat(70_000), form],
    ] as const)
      expect4xx(
        await call(t.url, "POST", `/notifications/unsubscribe?token=${"A".repeat(20)}.${"A".repeat(43)}`, { body, headers }),
        `body ${body.slice(0, 20)}`,
      );
    expect(await snapshot()).toEqual(before);
  });

  test("the sweeps stored no push subscription or device", async () => {
    expect(await t.db.select().from(pushSubscriptions)).toEqual([]);
    expect(await t.db.select().from(fcmDevices)).toEqual([]);
  });

  test("hostile query values are 4xx, never a 5xx", async () => {
    for (const operation of operations.filter((candidate) => candidate.query.length > 0)) {
      for (const name of operation.query) {
        for (const value of [
          ...hostileStrings.filter((hostile) => !/[\ud800-\udfff]/.test(hostile) || /😀/.test(hostile)),
          "-1",
          "1e99",
          "NaN",
          "yes",
          "99999999999999999999",
        ]) {
          const response = await call(t.url, operation.method, `${operation.path}?${name}=${encodeURIComponent(value)}`, { token: alice.token });
          expect4xx(response, `${operation.path}?${name}=${value.slice(0, 30)}`);
        }
      }
    }
  });
});

describe("tokens", () => {
  test("a session revoked on the bus is refused; the user's other sessions keep working", async () => {
    const user = await t.user();
    const otherDevice = await t.issuer.user({ id: user.id });
    expect((await t.call("GET", "/notifications", { token: user.token })).status).toBe(200);
    await t.issuer.revoke(t.deps.bus, user);
    await eventually(async () => (await t.call("GET", "/notifications", { token: user.token })).status === 401);
    expect((await t.call("GET", "/notifications", { token: otherDevice.token })).status).toBe(200);
  });
});
