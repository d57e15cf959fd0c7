import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { pushSubscriptions } from "@lodge/db/schema";
import { eventually } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import webpush from "web-push";
import { createNotification } from "../src/services/create-notification";
import { deliver } from "../src/services/deliver";
import { startTestNotifications, type TestNotifications } from "./harness";
import { makeBrowserSubscription, startTestPushService } from "./push-service";

/**
 * Web push end to end: browsers' subscriptions registered through the API, announcements sent by
 * the worker through a local https push service that checks the VAPID JWT and decrypts each
 * payload with the browser's keys (RFC 8291), as a browser would.
 */
let t: TestNotifications;
let push: Awaited<ReturnType<typeof startTestPushService>>;
const vapid = webpush.generateVAPIDKeys();

beforeAll(async () => {
  let now = () => new Date();
  push = await startTestPushService({ now: () => now() });
  t = await startTestNotifications({
    fetch: push.fetch,
    env: {
      VAPID_PUBLIC_KEY: vapid.publicKey,
      VAPID_PRIVATE_KEY: vapid.privateKey,
      VAPID_SUBJECT: "mailto:ops@lodge.test",
      WEB_PUSH_ALLOWED_HOSTS: "127.0.0.1",
    },
  });
  now = t.now;
});
afterAll(async () => {
  await t.close();
  push.stop();
});

const announce = (userId: string, title = "Hello") =>
  createNotification({
    ctx: t.ctx,
    input: { userId, type: "system.announcement", data: { title, body: "News & <b>more</b>", link: "https://app.example.com/news" } },
  });
const deliveryOn = async (notificationId: string, channel: string) => (await t.deliveriesOf(notificationId)).find((row) => row.channel === channel);

/** An announcement whose web push delivery the test runs itself (the worker paused meanwhile); its delivery row afterwards. */
async function byHand(userId: string, run: (deliveryId: string) => Promise<void>) {
  await t.deps.deliveryQueues.web_push.pause();
  try {
    const notification = await announce(userId, "By hand");
    const delivery = await deliveryOn(notification.id, "web_push");
    await run(delivery?.id as string);
    return deliveryOn(notification.id, "web_push");
  } finally {
    await t.deps.deliveryQueues.web_push.resume();
  }
}

async function subscribedUser() {
  const user = await t.user();
  const browser = push.subscribe();
  const registered = await t.call("POST", "/notifications/push-subscriptions", { token: user.token, body: browser.json });
  expect(registered.status).toBe(201);
  return { user, browser };
}

describe("web push", () => {
  test("the VAPID public key is served for the browser's applicationServerKey", async () => {
    const user = await t.user();
    const answer = await t.call("GET", "/notifications/push/vapid-public-key", { token: user.token });
    expect(answer).toMatchObject({ status: 200, json: { publicKey: vapid.publicKey } });
    expect((await t.call("GET", "/notifications/push/vapid-public-key")).status).toBe(401);
  });

  test("a notification reaches each of the user's browsers, encrypted to it and signed with the VAPID key", async () => {
    const { user, browser } = await subscribedUser();
    const second = push.subscribe();
    expect((await t.call("POST", "/notifications/push-subscriptions", { token: user.token, body: second.json })).status).toBe(201);
    const notification = await announce(user.id);
    for (const endpoint of [browser.json.endpoint, second.json.endpoint]) {
      const [received] = await eventually(() => push.to(endpoint).length === 1 && push.to(endpoint));
      expect(received?.payload).toEqual({ title: "Hello", body: "News & <b>more</b>", link: "https://app.example.com/news", notificationId: notification.id });
      expect(received?.vapidKey).toBe(vapid.publicKey);
      expect(received?.topic).toBe((await deliveryOn(notification.id, "web_push"))?.id.replaceAll("-", ""));
    }
    const delivery = await eventually(async () => {
      const row = await deliveryOn(notification.id, "web_push");
      return row?.status === "sent" && row;
    });
    expect(delivery).toMatchObject({ attempts: 1, reason: null });
    // The owner sees it in the notification's deliveries.
    const shown = await t.call("GET", `/notifications/${notification.id}`, { token: user.token });
    expect(shown.json.deliveries).toContainEqual(expect.objectContaining({ channel: "web_push", status: "sent" }));
    expect(push.refused).toEqual([]);
  });

  test("429 and 5xx are retried (a 429's Retry-After delays the job), a 410 deletes the subscription", async () => {
    const { user, browser } = await subscribedUser();
    push.answer(browser.json.endpoint, 429);
    const limited = await announce(user.id);
    // The worker moved the job by the Retry-After (0 s here) rather than its backoff, and the next run sent it.
    expect(await eventually(async () => (await deliveryOn(limited.id, "web_push"))?.status === "sent" && deliveryOn(limited.id, "web_push"))).toMatchObject({
      attempts: 2,
    });
    const retried = await byHand(user.id, async (deliveryId) => {
      push.answer(browser.json.endpoint, 503);
      await expect(deliver({ ctx: t.ctx, input: { deliveryId, lastAttempt: false } })).rejects.toThrow("push service answered 503");
      expect(await deliver({ ctx: t.ctx, input: { deliveryId, lastAttempt: false } })).toEqual({ status: "sent" });
    });
    expect(retried).toMatchObject({ status: "sent", attempts: 2 });

    const gone = await byHand(user.id, async (deliveryId) => {
      push.answer(browser.json.endpoint, 410);
      expect(await deliver({ ctx: t.ctx, input: { deliveryId, lastAttempt: false } })).toEqual({ status: "failed" });
    });
    expect(gone).toMatchObject({ status: "failed", reason: "address_gone" });
    expect(await t.db.select().from(pushSubscriptions).where(eq(pushSubscriptions.userId, user.id))).toEqual([]);
    expect(push.to(browser.json.endpoint)).toHaveLength(2);
    // With no subscription left, the next one is skipped at once.
    const none = await announce(user.id, "None");
    expect(await deliveryOn(none.id, "web_push")).toMatchObject({ status: "skipped", reason: "no_address" });
  });

  test("a job run twice, or two runs at once, sends once", async () => {
    const { user, browser } = await subscribedUser();
    await byHand(user.id, async (deliveryId) => {
      const outcomes = await Promise.all([1, 2].map(() => deliver({ ctx: t.ctx, input: { deliveryId, lastAttempt: false } })));
      expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(["already_done", "sent"]);
      expect(await deliver({ ctx: t.ctx, input: { deliveryId, lastAttempt: false } })).toEqual({ status: "already_done" });
    });
    // The queued job itself, run by the worker afterwards, finds it sent too.
    await eventually(async () => {
      const counts = await t.deps.deliveryQueues.web_push.getJobCounts("wait", "active", "delayed");
      return Object.values(counts).every((count) => count === 0);
    });
    expect(push.to(browser.json.endpoint)).toHaveLength(1);
  });

  test("a subscription is the user's: removed by its endpoint, another user's is a 404", async () => {
    const { user, browser } = await subscribedUser();
    const other = await t.user();
    const body = { endpoint: browser.json.endpoint };
    expect((await t.call("DELETE", "/notifications/push-subscriptions", { token: other.token, body })).status).toBe(404);
    expect((await t.call("DELETE", "/notifications/push-subscriptions", { token: user.token, body })).status).toBe(204);
    expect((await t.call("DELETE", "/notifications/push-subscriptions", { token: user.token, body })).status).toBe(404);
  });

  test("bad subscriptions are refused with a 4xx and store nothing: http, private addresses, bad keys", async () => {
    const user = await t.user();
    const good = makeBrowserSubscription("https://push.example.com/x");
    const bad = [
      { ...good.json, endpoint: "http://push.example.com/x" },
      { ...good.json, endpoint: "https://10.0.0.1/x" },
      { ...good.json, endpoint: "https://169.254.169.254/latest/meta-data" },
      { ...good.json, endpoint: "https://localhost/x" },
      { ...good.json, keys: { ...good.json.keys, p256dh: Buffer.alloc(65, 4).toString("base64url") } },
      { ...good.json, keys: { ...good.json.keys, auth: Buffer.alloc(8).toString("base64url") } },
      { ...good.json, keys: { p256dh: good.json.keys.p256dh } },
      { endpoint: good.json.endpoint },
    ];
    for (const body of bad) {
      const answer = await t.call("POST", "/notifications/push-subscriptions", { token: user.token, body });
      expect([400, 422]).toContain(answer.status);
      expect(answer.json.error.code).toBe("VALIDATION_FAILED");
    }
    expect(await t.db.select().from(pushSubscriptions).where(eq(pushSubscriptions.userId, user.id))).toEqual([]);
  });
});
