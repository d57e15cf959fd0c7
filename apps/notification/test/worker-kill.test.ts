import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { eventually } from "@lodge/kit/testing";
import webpush from "web-push";
import { createNotification } from "../src/services/create-notification";
import { startTestNotifications, type TestNotifications } from "./harness";
import { startTestPushService } from "./push-service";

/**
 * A worker killed mid-send (SIGKILL, in its own process): its open transactions roll back, so its
 * deliveries stay pending; BullMQ hands its jobs to the next worker once their locks lapse; every
 * notification then arrives exactly once.
 */
let t: TestNotifications;
let push: Awaited<ReturnType<typeof startTestPushService>>;
const vapid = webpush.generateVAPIDKeys();
const pushEnv = {
  VAPID_PUBLIC_KEY: vapid.publicKey,
  VAPID_PRIVATE_KEY: vapid.privateKey,
  VAPID_SUBJECT: "mailto:ops@lodge.test",
  WEB_PUSH_ALLOWED_HOSTS: "127.0.0.1",
};

beforeAll(async () => {
  let now = () => new Date();
  push = await startTestPushService({ now: () => now() });
  t = await startTestNotifications({ jobs: false, env: pushEnv });
  now = t.now;
});
afterAll(async () => {
  await t.close();
  push.stop();
});

function startWorker() {
  const env = {
    ...process.env,
    ...t.sharedEnv,
    ...pushEnv,
    LOG_LEVEL: "silent",
    NOTIFICATION_STALLED_AFTER_MS: "1000",
    TEST_PUSH_CA: push.ca,
    PORT: "0",
  };
  return Bun.spawn(["bun", "run", join(import.meta.dir, "worker-process.ts")], { env, stdout: "pipe", stderr: "inherit" });
}

test("a worker killed mid-send: every notification is delivered, none twice", async () => {
  const user = await t.user();
  const browser = push.subscribe();
  expect((await t.call("POST", "/notifications/push-subscriptions", { token: user.token, body: browser.json })).status).toBe(201);
  const sent: Awaited<ReturnType<typeof createNotification>>[] = [];
  for (let index = 0; index < 5; index += 1) {
    const data = { title: `News ${index}`, body: "Read on" };
    sent.push(await createNotification({ ctx: t.ctx, input: { userId: user.id, type: "system.announcement", data } }));
  }

  push.hold(true);
  const doomed = startWorker();
  await eventually(() => push.held() >= 1, 30_000);
  doomed.kill("SIGKILL");
  await doomed.exited;
  push.hold(false);
  // Its transactions rolled back: nothing is marked sent that did not arrive.
  const statuses = await Promise.all(
    sent.map(async (notification) => (await t.deliveriesOf(notification.id)).find((row) => row.channel === "web_push")?.status),
  );
  expect(statuses).toEqual(["pending", "pending", "pending", "pending", "pending"]);

  const successor = startWorker();
  try {
    await eventually(async () => {
      const rows = await Promise.all(sent.map(async (notification) => (await t.deliveriesOf(notification.id)).find((row) => row.channel === "web_push")));
      return rows.every((row) => row?.status === "sent");
    }, 30_000);
  } finally {
    successor.kill("SIGTERM");
    await successor.exited;
  }
  const arrived = push.to(browser.json.endpoint).map((received) => received.payload.notificationId);
  expect(arrived.sort()).toEqual(sent.map((notification) => notification.id).sort());
});
