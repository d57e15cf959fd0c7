import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { webhookDeliveries, webhookEndpoints } from "@lodge/db/schema";
import { eventData, eventTypes } from "@lodge/events";
import { call, eventually, expectErrorShape, operationsOf, sweepAuthorizations, sweepDocument } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { withheldFields } from "../src/helpers/webhooks";
import { pruneWebhookDeliveries } from "../src/services/prune-webhook-deliveries";
import { queueWebhookDeliveries } from "../src/services/queue-webhook-deliveries";
import { startTestNotifications, type TestNotifications } from "./harness";
import { type ReceivedWebhook, startWebhookReceiver } from "./webhook-receiver";

/**
 * Outbound webhooks end to end: events put on the bus reach a local receiver on 127.0.0.1 (listed
 * in WEBHOOK_ALLOWED_HOSTS), which checks every signature with the standardwebhooks library's own
 * verifier. Retries are driven by promoting BullMQ's delayed jobs and the failure streak by the
 * test clock, never by waiting.
 */
let t: TestNotifications;
let admin: { id: string; token: string };
let user: { id: string; token: string };
const receiver = startWebhookReceiver();
const day = 24 * 3600_000;

beforeAll(async () => {
  t = await startTestNotifications({ env: { WEBHOOK_ALLOWED_HOSTS: "127.0.0.1", WEBHOOK_MAX_ATTEMPTS: "4", WEBHOOK_RETRY_DELAY_MS: "20000" } });
  [admin, user] = await Promise.all([t.issuer.admin(), t.user()]);
});
afterAll(async () => {
  await t.close();
  receiver.stop();
});

type Endpoint = { webhook: { id: string; eventTypes: string[] }; secret: string };

/** A call with an admin token issued now, by the test clock (which some tests move days ahead). */
const asAdmin = async (method: string, path: string, body?: unknown) => t.call(method, path, { token: (await t.issuer.admin()).token, body });

async function register(path: string, eventTypes: string[], description = "test receiver"): Promise<Endpoint> {
  const response = await asAdmin("POST", "/notifications/webhooks", { url: receiver.url(path), eventTypes, description });
  expect(response.status).toBe(201);
  return response.json;
}

const deliveriesOf = (endpointId: string) => t.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpointId));
const deliveryLog = async (endpointId: string, query = "") =>
  (await t.call("GET", `/notifications/webhooks/${endpointId}/deliveries${query}`, { token: admin.token })).json;

/** The one delivery of `endpointId` once `check` holds for it. */
const deliveryWhen = (endpointId: string, check: (delivery: typeof webhookDeliveries.$inferSelect) => boolean) =>
  eventually(async () => (await deliveriesOf(endpointId)).find(check));

/** Runs a delivery's waiting retry now (what its backoff would do later). */
async function promoteRetry(deliveryId: string) {
  const job = await eventually(async () => {
    const found = await t.deps.webhooks.deliveries.getJob(deliveryId);
    return found && (await found.getState()) === "delayed" && found;
  });
  await job.promote();
}

/** What the library's verifier makes of a received request with `secret`. */
const verify = (secret: string, request: ReceivedWebhook) => new Webhook(secret).verify(request.body, request.headers);

describe("registering endpoints", () => {
  test("an admin registers, reads, lists, changes and deletes an endpoint; the secret is shown once, as whsec_", async () => {
    const created = await register("/crud", ["auth.password_changed", "user.registered"]);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.webhook).toMatchObject({ url: receiver.url("/crud"), enabled: true, description: "test receiver", failingSince: null });
    expect(JSON.stringify(created.webhook)).not.toContain(created.secret.slice(6));
    const { id } = created.webhook;

    const got = await t.call("GET", `/notifications/webhooks/${id}`, { token: admin.token });
    expect(got.status).toBe(200);
    expect(got.text).not.toContain(created.secret.slice(6));
    const listed = await t.call("GET", "/notifications/webhooks?limit=100", { token: admin.token });
    expect(listed.json.webhooks.map((webhook: { id: string }) => webhook.id)).toContain(id);
    expect(listed.text).not.toContain("whsec_");

    const changed = await t.call("PATCH", `/notifications/webhooks/${id}`, {
      token: admin.token,
      body: { eventTypes: ["*"], description: "all of it", enabled: false },
    });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({ eventTypes: ["*"], description: "all of it", enabled: false });

    expect((await t.call("DELETE", `/notifications/webhooks/${id}`, { token: admin.token })).status).toBe(204);
    expect((await t.call("GET", `/notifications/webhooks/${id}`, { token: admin.token })).status).toBe(404);
    expect((await t.call("DELETE", `/notifications/webhooks/${id}`, { token: admin.token })).status).toBe(404);
  });

  test("event types must be in the catalog (or *): an unknown one is 422 and registers nothing", async () => {
    const before = await t.db.select().from(webhookEndpoints);
    for (const eventTypes of [["auth.nope"], ["auth.password_changed", "user.*"], [], ["*", 1]]) {
      const response = await t.call("POST", "/notifications/webhooks", { token: admin.token, body: { url: receiver.url(), eventTypes } });
      expect(response.status).toBe(422);
      expectErrorShape(response, JSON.stringify(eventTypes));
    }
    expect(await t.db.select().from(webhookEndpoints)).toEqual(before);
  });

  test("private, loopback, link-local, CGNAT, multicast and unspecified targets, and names resolving to loopback, are refused (422)", async () => {
    const before = await t.db.select().from(webhookEndpoints);
    for (const url of [
      "http://10.0.0.1/hook",
      "http://192.168.1.10/hook",
      "http://172.20.0.5/hook",
      "http://169.254.169.254/latest/meta-data",
      "http://100.64.0.1/",
      "http://0.0.0.0/",
      "http://224.0.0.1/",
      "http://127.0.0.2/",
      "http://2130706434/",
      "http://[::1]/",
      "http://[::ffff:127.0.0.1]/",
      "http://[::ffff:a9fe:a9fe]/",
      "http://[fe80::1]/",
      "http://[fd00::1]/",
      `http://localhost:${receiver.port}/hook`,
      "http://lodge-webhook-test.invalid/",
      "ftp://example.com/",
      "https://user:secret@example.com/",
    ]) {
      const response = await t.call("POST", "/notifications/webhooks", { token: admin.token, body: { url, eventTypes: ["*"] } });
      expect({ url, status: response.status }).toEqual({ url, status: 422 });
      expectErrorShape(response, url);
      const changed = await t.call("PATCH", `/notifications/webhooks/${(await register("/refused-patch", ["*"])).webhook.id}`, {
        token: admin.token,
        body: { url },
      });
      expect({ url, status: changed.status }).toEqual({ url, status: 422 });
    }
    const added = (await t.db.select().from(webhookEndpoints)).filter((row) => !before.some((old) => old.id === row.id));
    expect(added.every((row) => row.url === receiver.url("/refused-patch"))).toBe(true);
    await t.db.delete(webhookEndpoints).where(eq(webhookEndpoints.url, receiver.url("/refused-patch")));
  });

  test("every route is 403 for a signed-in user who is not an admin, and 401 without a valid token", async () => {
    const { webhook } = await register("/authz", ["*"]);
    const document = (await t.call("GET", "/notifications/openapi.json")).json;
    const routes = operationsOf(document)
      .filter((operation) => operation.tags.includes("webhooks"))
      .map((operation) => [operation.method, operation.path.replace("{id}", webhook.id).replace("{deliveryId}", webhook.id)] as const);
    expect(routes.length).toBe(8);
    const before = await t.db.select().from(webhookEndpoints);
    for (const [method, path] of routes) {
      const response = await t.call(method, path, {
        token: user.token,
        body: method === "POST" || method === "PATCH" ? { url: receiver.url(), eventTypes: ["*"] } : undefined,
      });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 403 });
      expectErrorShape(response, `${method} ${path}`);
    }
    // A user's token: an admin's, "tampered" to role admin, would still be valid.
    await sweepAuthorizations({ routes, token: user.token, send: (method, path, headers) => call(t.url, method, path, { headers }) });
    expect(await t.db.select().from(webhookEndpoints)).toEqual(before);
  });
});

describe("deliveries", () => {
  test("a subscribed event is POSTed as { type, timestamp, data }, signed (verified by the library), with the event's id as webhook-id; others are not", async () => {
    const only = await register("/signed", ["auth.password_changed"]);
    const everything = await register("/everything", ["*"]);
    const registered = await t.publish("user.registered", { userId: user.id, email: "someone@example.com", name: null });
    const changed = await t.publish("auth.password_changed", { userId: user.id, via: "change" });

    const request = await eventually(() => receiver.at("/signed").find((candidate) => candidate.headers["webhook-id"] === changed.id));
    expect(verify(only.secret, request)).toEqual({ type: "auth.password_changed", timestamp: changed.occurredAt, data: { userId: user.id, via: "change" } });
    expect(request.headers["content-type"]).toBe("application/json");
    expect(() => verify(everything.secret, request)).toThrow();

    // The catch-all endpoint got user.registered; the one subscribed to password changes did not (same fan-out).
    const other = await eventually(() => receiver.at("/everything").find((candidate) => candidate.headers["webhook-id"] === registered.id));
    expect(verify(everything.secret, other)).toMatchObject({ type: "user.registered", data: { email: "someone@example.com" } });
    expect((await deliveriesOf(only.webhook.id)).map((delivery) => delivery.eventId)).not.toContain(registered.id);

    const log = await eventually(async () => {
      const page = await deliveryLog(only.webhook.id);
      return page.deliveries[0]?.status === "sent" && page;
    });
    expect(log.deliveries[0]).toMatchObject({
      eventId: changed.id,
      eventType: "auth.password_changed",
      attempts: 1,
      responseStatus: 200,
      responseBody: "thanks",
      error: null,
    });
    expect(typeof log.deliveries[0].durationMs).toBe("number");
  });

  test("a redelivered event (the bus is at-least-once) adds no delivery and sends nothing twice", async () => {
    const { webhook } = await register("/once", ["auth.password_changed"]);
    const event = await t.publish("auth.password_changed", { userId: user.id, via: "change" });
    await deliveryWhen(webhook.id, (row) => row.status === "sent");
    await queueWebhookDeliveries({ ctx: t.ctx, input: event });
    // Another event after it, to the same endpoint: once it is in, a second send of the first would have been too.
    const after = await t.publish("auth.password_changed", { userId: user.id, via: "change" });
    await eventually(() => receiver.at("/once").some((request) => request.headers["webhook-id"] === after.id));
    expect(receiver.at("/once").filter((request) => request.headers["webhook-id"] === event.id).length).toBe(1);
    expect((await deliveriesOf(webhook.id)).length).toBe(2);
  });

  test("one-time tokens are withheld: a reset request reaches webhooks without its token", async () => {
    const { secret, webhook } = await register("/withheld", ["auth.password_reset_requested", "auth.email_verification_requested"]);
    const token = `reset-token-${crypto.randomUUID()}`;
    const event = await t.publish("auth.password_reset_requested", { userId: user.id, email: "reset@example.com", token, expiresAt: new Date().toISOString() });
    const request = await eventually(() => receiver.at("/withheld").find((candidate) => candidate.headers["webhook-id"] === event.id));
    const payload = verify(secret, request) as { data: Record<string, unknown> };
    expect(payload.data).toEqual({ userId: user.id, email: "reset@example.com", expiresAt: event.data.expiresAt });
    expect(request.body).not.toContain(token);
    expect(JSON.stringify(await deliveriesOf(webhook.id))).not.toContain(token);
  });

  test("every catalog field named like a secret is withheld from webhooks", () => {
    for (const type of eventTypes) {
      const fields = Object.keys((eventData[type] as unknown as { shape: Record<string, unknown> }).shape);
      for (const field of fields.filter((name) => /token|secret|password|otp/i.test(name)))
        expect({ type, field, withheld: withheldFields[type]?.includes(field) }).toEqual({ type, field, withheld: true });
    }
  });

  test("a failing receiver is retried with exponential backoff, the same webhook-id each time, until it answers 2xx", async () => {
    const { secret, webhook } = await register("/flaky", ["auth.password_changed"]);
    let calls = 0;
    receiver.answer("/flaky", () => (++calls <= 2 ? new Response("down for maintenance", { status: 503 }) : new Response("ok")));
    const event = await t.publish("auth.password_changed", { userId: user.id, via: "reset" });

    const first = await deliveryWhen(webhook.id, (delivery) => delivery.attempts === 1);
    expect(first).toMatchObject({ status: "pending", responseStatus: 503, responseBody: "down for maintenance", error: "HTTP 503" });
    expect((first.nextAttemptAt?.getTime() ?? 0) - (first.lastAttemptAt?.getTime() ?? 0)).toBe(20_000);
    await promoteRetry(first.id);
    const second = await deliveryWhen(webhook.id, (delivery) => delivery.attempts === 2);
    expect((second.nextAttemptAt?.getTime() ?? 0) - (second.lastAttemptAt?.getTime() ?? 0)).toBe(40_000);
    const job = await t.deps.webhooks.deliveries.getJob(first.id);
    expect(job?.opts.backoff).toEqual({ type: "exponential", delay: 20_000 });
    await promoteRetry(first.id);

    const sent = await deliveryWhen(webhook.id, (delivery) => delivery.status === "sent");
    expect(sent).toMatchObject({ attempts: 3, responseStatus: 200, error: null, nextAttemptAt: null });
    const requests = receiver.at("/flaky");
    expect(requests.map((request) => request.headers["webhook-id"])).toEqual([event.id, event.id, event.id]);
    for (const request of requests) expect(verify(secret, request)).toMatchObject({ type: "auth.password_changed" });
  });

  test("a delivery failing every attempt ends failed; a manual redelivery sends it again with the same webhook-id", async () => {
    const { webhook } = await register("/broken", ["auth.password_changed"]);
    receiver.answer("/broken", () => new Response("no", { status: 500 }));
    const failedBefore = (await t.deps.webhooks.outcomes.get()).values.find((value) => value.labels.outcome === "failed")?.value ?? 0;
    const event = await t.publish("auth.password_changed", { userId: user.id, via: "change" });
    const delivery = await deliveryWhen(webhook.id, () => true);
    for (let attempt = 1; attempt < 4; attempt++) {
      await deliveryWhen(webhook.id, (row) => row.attempts === attempt);
      await promoteRetry(delivery.id);
    }
    const failed = await deliveryWhen(webhook.id, (row) => row.status === "failed");
    expect(failed).toMatchObject({ attempts: 4, nextAttemptAt: null, error: "HTTP 500" });
    const failedAfter = (await t.deps.webhooks.outcomes.get()).values.find((value) => value.labels.outcome === "failed")?.value ?? 0;
    expect(failedAfter).toBe(failedBefore + 1);
    expect((await deliveryLog(webhook.id, "?status=failed")).deliveries.map((row: { id: string }) => row.id)).toEqual([delivery.id]);

    receiver.answer("/broken", () => new Response("fixed"));
    const retried = await t.call("POST", `/notifications/webhooks/${webhook.id}/deliveries/${delivery.id}/retry`, { token: admin.token });
    expect(retried.status).toBe(202);
    expect(retried.json).toMatchObject({ id: delivery.id, status: "pending" });
    const sent = await deliveryWhen(webhook.id, (row) => row.status === "sent");
    expect(sent).toMatchObject({ attempts: 5, responseBody: "fixed" });
    expect(receiver.at("/broken").at(-1)?.headers["webhook-id"]).toBe(event.id);

    // Another endpoint's delivery, or an unknown one, is 404.
    const other = await register("/other", ["auth.password_changed"]);
    expect((await t.call("POST", `/notifications/webhooks/${other.webhook.id}/deliveries/${delivery.id}/retry`, { token: admin.token })).status).toBe(404);
    expect((await t.call("POST", `/notifications/webhooks/${webhook.id}/deliveries/${crypto.randomUUID()}/retry`, { token: admin.token })).status).toBe(404);
  });

  test("a receiver's answer is kept cut to WEBHOOK_RESPONSE_MAX_BYTES, NUL characters dropped", async () => {
    const { webhook } = await register("/chatty", ["auth.password_changed"]);
    receiver.answer("/chatty", () => new Response(`oops\u0000${"y".repeat(100_000)}`, { status: 500 }));
    await t.publish("auth.password_changed", { userId: user.id, via: "change" });
    const delivery = await deliveryWhen(webhook.id, (row) => row.attempts === 1);
    expect(delivery.responseBody).toBe(`oops${"y".repeat(2048 - 5)}`);
    expect(delivery).toMatchObject({ responseStatus: 500, error: "HTTP 500" });
  });

  test("the delivery log pages with a cursor", async () => {
    const { webhook } = await register("/paged", ["auth.password_changed"]);
    for (let index = 0; index < 3; index++) await t.publish("auth.password_changed", { userId: user.id, via: "change" });
    await eventually(async () => (await deliveriesOf(webhook.id)).filter((row) => row.status === "sent").length === 3);
    const first = await deliveryLog(webhook.id, "?limit=2");
    expect(first.deliveries.length).toBe(2);
    const second = await deliveryLog(webhook.id, `?limit=2&cursor=${first.nextCursor}`);
    expect(second).toMatchObject({ nextCursor: null });
    expect(second.deliveries.length).toBe(1);
    expect(new Set([...first.deliveries, ...second.deliveries].map((row: { id: string }) => row.id)).size).toBe(3);
  });

  test("an endpoint failing for WEBHOOK_DISABLE_AFTER_DAYS without a success is disabled, and gets nothing until enabled again", async () => {
    const { webhook } = await register("/dead", ["auth.password_changed"]);
    receiver.answer("/dead", () => new Response("gone", { status: 410 }));
    await t.publish("auth.password_changed", { userId: user.id, via: "change" });
    const delivery = await deliveryWhen(webhook.id, (row) => row.attempts === 1);
    const endpoint = await t.call("GET", `/notifications/webhooks/${webhook.id}`, { token: admin.token });
    expect(endpoint.json).toMatchObject({ enabled: true, failingSince: delivery.lastAttemptAt?.toISOString() });

    t.advance(5 * day + 1000);
    try {
      await promoteRetry(delivery.id);
      await deliveryWhen(webhook.id, (row) => row.status === "failed");
      const disabled = await asAdmin("GET", `/notifications/webhooks/${webhook.id}`);
      expect(disabled.json).toMatchObject({ enabled: false, disabledReason: "failing" });
      expect((await asAdmin("POST", `/notifications/webhooks/${webhook.id}/deliveries/${delivery.id}/retry`)).status).toBe(409);

      // Disabled: a later event makes no delivery for it (another endpoint shows the event was handled).
      const witness = await register("/witness", ["auth.password_changed"]);
      const later = await t.publish("auth.password_changed", { userId: user.id, via: "change" });
      await eventually(() => receiver.at("/witness").some((request) => request.headers["webhook-id"] === later.id));
      expect((await deliveriesOf(webhook.id)).map((row) => row.eventId)).not.toContain(later.id);
      await asAdmin("DELETE", `/notifications/webhooks/${witness.webhook.id}`);

      const enabled = await asAdmin("PATCH", `/notifications/webhooks/${webhook.id}`, { enabled: true });
      expect(enabled.json).toMatchObject({ enabled: true, disabledReason: null, failingSince: null });
    } finally {
      t.advance(-(5 * day + 1000));
    }
  });

  test("after a secret rotation both secrets verify for the window; afterwards only the new one signs", async () => {
    const { secret: oldSecret, webhook } = await register("/rotated", ["auth.password_changed"]);
    const rotated = await t.call("POST", `/notifications/webhooks/${webhook.id}/rotate-secret`, { token: admin.token });
    expect(rotated.status).toBe(200);
    const newSecret: string = rotated.json.secret;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(oldSecret);
    expect(new Date(rotated.json.webhook.previousSecretExpiresAt).getTime() - Date.now()).toBeGreaterThan(23 * 3600_000);

    const during = await t.publish("auth.password_changed", { userId: user.id, via: "change" });
    const signedTwice = await eventually(() => receiver.at("/rotated").find((request) => request.headers["webhook-id"] === during.id));
    expect(signedTwice.headers["webhook-signature"]?.split(" ").length).toBe(2);
    expect(verify(newSecret, signedTwice)).toMatchObject({ type: "auth.password_changed" });
    expect(verify(oldSecret, signedTwice)).toMatchObject({ type: "auth.password_changed" });

    // Past the window (the test clock moved, so the verifier's 5-minute timestamp tolerance would refuse it:
    // the signatures are compared with the library's own signing instead).
    t.advance(day + 1000);
    try {
      const after = await t.publish("auth.password_changed", { userId: user.id, via: "change" });
      const signedOnce = await eventually(() => receiver.at("/rotated").find((request) => request.headers["webhook-id"] === after.id));
      const at = new Date(Number(signedOnce.headers["webhook-timestamp"]) * 1000);
      expect(signedOnce.headers["webhook-signature"]).toBe(new Webhook(newSecret).sign(after.id, at, signedOnce.body));
      expect((await asAdmin("GET", `/notifications/webhooks/${webhook.id}`)).json.previousSecretExpiresAt).toBeNull();
    } finally {
      t.advance(-(day + 1000));
    }
  });
});

describe("SSRF at send time", () => {
  test("a name resolving to loopback is refused after DNS when sending (not only at registration): nothing reaches the receiver", async () => {
    // Registered before the rule applied (written directly): the send-time check must still refuse it.
    const [endpoint] = await t.db
      .insert(webhookEndpoints)
      .values({ url: `http://localhost:${receiver.port}/sneaky`, eventTypes: ["auth.password_changed"], secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" })
      .returning();
    if (!endpoint) throw new Error("no endpoint");
    await t.publish("auth.password_changed", { userId: user.id, via: "change" });
    const delivery = await deliveryWhen(endpoint.id, (row) => row.attempts === 1);
    expect(delivery.error).toContain("is not a public address");
    expect(delivery.responseStatus).toBeNull();
    expect(receiver.at("/sneaky")).toEqual([]);
  });

  test("a redirect (to a private address) is a failed attempt, never followed", async () => {
    const target = startWebhookReceiver();
    try {
      const { webhook } = await register("/redirecting", ["auth.password_changed"]);
      receiver.answer("/redirecting", () => new Response(null, { status: 307, headers: { location: `http://localhost:${target.port}/internal` } }));
      await t.publish("auth.password_changed", { userId: user.id, via: "change" });
      const delivery = await deliveryWhen(webhook.id, (row) => row.attempts === 1);
      expect(delivery).toMatchObject({ status: "pending", responseStatus: 307, error: "redirect (307) not followed" });
      expect(target.received).toEqual([]);
    } finally {
      target.stop();
    }
  });
});

describe("retention", () => {
  test("delivery rows older than WEBHOOK_DELIVERY_RETENTION_DAYS are deleted (their bodies may hold user data)", async () => {
    const { webhook } = await register("/retained", ["auth.password_changed"]);
    await t.publish("auth.password_changed", { userId: user.id, via: "change" });
    await deliveryWhen(webhook.id, (row) => row.status === "sent");
    t.advance(13 * day);
    try {
      expect(await pruneWebhookDeliveries({ ctx: t.ctx })).toBe(0);
      t.advance(2 * day);
      expect(await pruneWebhookDeliveries({ ctx: t.ctx })).toBeGreaterThan(0);
      expect(await deliveriesOf(webhook.id)).toEqual([]);
    } finally {
      t.advance(-15 * day);
    }
  });
});

describe("bad input", () => {
  test("the body sweep on every webhook route with a body: 4xx in the error shape, nothing written", async () => {
    const { webhook } = await register("/swept", ["*"]);
    const document = (await t.call("GET", "/notifications/openapi.json")).json;
    const webhookOnly = {
      ...document,
      paths: Object.fromEntries(Object.entries(document.paths).filter(([path]) => path.startsWith("/notifications/webhooks"))),
    };
    const before = await t.db.select().from(webhookEndpoints).orderBy(webhookEndpoints.id);
    const swept = await sweepDocument({
      document: webhookOnly,
      oversizedBytes: 70_000,
      send: (operation, body, headers) => call(t.url, operation.method, operation.path.replace("{id}", webhook.id), { body, token: admin.token, headers }),
      skipWrong: (value, property) => property === "enabled" && typeof value === "boolean",
      moreHostileStrings: ["http://169.254.169.254/", "http://[::1]/", "javascript:alert(1)"],
    });
    expect(swept.map((operation) => `${operation.method} ${operation.path}`)).toEqual(["POST /notifications/webhooks", "PATCH /notifications/webhooks/{id}"]);
    expect(await t.db.select().from(webhookEndpoints).orderBy(webhookEndpoints.id)).toEqual(before);
  });

  test("malformed ids and query values are 4xx", async () => {
    const { webhook } = await register("/ids", ["*"]);
    for (const id of ["not-a-uuid", "%00", "' OR 1=1 --", crypto.randomUUID()]) {
      for (const [method, path] of [
        ["GET", `/notifications/webhooks/${id}`],
        ["PATCH", `/notifications/webhooks/${id}`],
        ["DELETE", `/notifications/webhooks/${id}`],
        ["POST", `/notifications/webhooks/${id}/rotate-secret`],
        ["GET", `/notifications/webhooks/${id}/deliveries`],
        ["POST", `/notifications/webhooks/${webhook.id}/deliveries/${id}/retry`],
        ["POST", `/notifications/webhooks/${id}/deliveries/${crypto.randomUUID()}/retry`],
      ] as const) {
        const response = await t.call(method, path, { token: admin.token, body: method === "PATCH" ? { enabled: true } : undefined });
        expectErrorShape(response, `${method} ${path}`);
      }
    }
    for (const query of ["limit=0", "limit=101", "limit=abc", "cursor=x", "status=lost", "status=%00"]) {
      expectErrorShape(await t.call("GET", `/notifications/webhooks/${webhook.id}/deliveries?${query}`, { token: admin.token }), query);
      if (!query.startsWith("status")) expectErrorShape(await t.call("GET", `/notifications/webhooks?${query}`, { token: admin.token }), query);
    }
  });
});
