import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { fcmDevices } from "@lodge/db/schema";
import { eventually } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import { createNotification } from "../src/services/create-notification";
import { deliver } from "../src/services/deliver";
import { startTestFcm } from "./fcm";
import { startTestNotifications, type TestNotifications } from "./harness";

/** FCM end to end: devices registered through the API, sends through a local FCM HTTP v1 API authorized by a local OAuth token endpoint. */
let t: TestNotifications;
const fcm = startTestFcm();

beforeAll(async () => {
  t = await startTestNotifications({ env: fcm.env });
});
afterAll(async () => {
  await t.close();
  fcm.stop();
});

const announce = (userId: string, title = "Hello") =>
  createNotification({ ctx: t.ctx, input: { userId, type: "system.announcement", data: { title, body: "News", link: "https://app.example.com/news" } } });
const deliveryOn = async (notificationId: string, channel: string) => (await t.deliveriesOf(notificationId)).find((row) => row.channel === channel);
const sentOn = (notificationId: string) =>
  eventually(async () => {
    const row = await deliveryOn(notificationId, "fcm");
    return row && row.status !== "pending" && row;
  });
let tokens = 0;
const newToken = () => `fcm-token-${++tokens}:${"A".repeat(40)}`;

async function userWithDevice(platform = "android") {
  const user = await t.user();
  const fcmToken = newToken();
  const registered = await t.call("POST", "/notifications/devices", { token: user.token, body: { fcmToken, platform } });
  expect(registered).toMatchObject({ status: 201, json: { fcmToken, platform } });
  return { user, fcmToken };
}

describe("FCM", () => {
  test("a notification reaches the user's device through the HTTP v1 API with the service account's bearer token", async () => {
    const { user, fcmToken } = await userWithDevice();
    const notification = await announce(user.id);
    expect(await sentOn(notification.id)).toMatchObject({ status: "sent", attempts: 1, messageId: "projects/lodge-test/messages/1" });
    expect(fcm.to(fcmToken)).toEqual([
      {
        token: fcmToken,
        notification: { title: "Hello", body: "News" },
        data: { notificationId: notification.id, link: "https://app.example.com/news" },
      } as never,
    ]);
    // One access token, cached for the next send.
    await sentOn((await announce(user.id, "Again")).id);
    expect(fcm.issued.size).toBe(1);
    expect(fcm.refused).toEqual([]);
  });

  test("a 503 is retried; UNREGISTERED removes the device", async () => {
    const { user, fcmToken } = await userWithDevice();
    await t.deps.deliveryQueues.fcm.pause();
    try {
      const notification = await announce(user.id, "Retry");
      const delivery = await deliveryOn(notification.id, "fcm");
      fcm.unavailable(1);
      await expect(deliver({ ctx: t.ctx, input: { deliveryId: delivery?.id as string, lastAttempt: false } })).rejects.toThrow("FCM answered 503");
      expect(await deliver({ ctx: t.ctx, input: { deliveryId: delivery?.id as string, lastAttempt: false } })).toEqual({ status: "sent" });
    } finally {
      await t.deps.deliveryQueues.fcm.resume();
    }
    expect(fcm.to(fcmToken)).toHaveLength(1);

    fcm.unregistered.add(fcmToken);
    const gone = await announce(user.id, "Gone");
    expect(await sentOn(gone.id)).toMatchObject({ status: "failed", reason: "address_gone" });
    expect(await t.db.select().from(fcmDevices).where(eq(fcmDevices.userId, user.id))).toEqual([]);
  });

  test("a device is the user's: removed by its token, another user's is a 404; bad bodies are 4xx and store nothing", async () => {
    const { user, fcmToken } = await userWithDevice("ios");
    const other = await t.user();
    expect((await t.call("DELETE", "/notifications/devices", { token: other.token, body: { fcmToken } })).status).toBe(404);
    expect((await t.call("DELETE", "/notifications/devices", { token: user.token, body: { fcmToken } })).status).toBe(204);
    for (const body of [
      { fcmToken: "short", platform: "android" },
      { fcmToken: newToken(), platform: "windows" },
      { fcmToken: `${newToken()} x`, platform: "ios" },
      { platform: "ios" },
    ]) {
      const answer = await t.call("POST", "/notifications/devices", { token: other.token, body });
      expect([400, 422]).toContain(answer.status);
      expect(answer.json.error.code).toBe("VALIDATION_FAILED");
    }
    expect(await t.db.select().from(fcmDevices).where(eq(fcmDevices.userId, other.id))).toEqual([]);
  });

  test("a user keeps their newest ten devices", async () => {
    const user = await t.user();
    const registered = [];
    for (let index = 0; index < 12; index += 1) {
      const fcmToken = newToken();
      t.advance(1000);
      expect((await t.call("POST", "/notifications/devices", { token: user.token, body: { fcmToken, platform: "android" } })).status).toBe(201);
      registered.push(fcmToken);
    }
    const kept = await t.db.select().from(fcmDevices).where(eq(fcmDevices.userId, user.id));
    expect(kept.map((row) => row.token).sort()).toEqual(registered.slice(2).sort());
  });

  test("admins list failed deliveries and retry one: it is queued again and sent once; anything but failed is a 409", async () => {
    const { user, fcmToken } = await userWithDevice();
    fcm.invalid.add(fcmToken);
    const notification = await announce(user.id, "Refused");
    const failed = await sentOn(notification.id);
    expect(failed).toMatchObject({ status: "failed", reason: "rejected", attempts: 1 });

    const admin = await t.issuer.admin();
    const listed = await t.call("GET", "/notifications/admin/deliveries?status=failed&channel=fcm", { token: admin.token });
    expect(listed.status).toBe(200);
    expect(listed.json.deliveries).toContainEqual(
      expect.objectContaining({
        id: failed.id,
        notificationId: notification.id,
        userId: user.id,
        type: "system.announcement",
        channel: "fcm",
        reason: "rejected",
      }),
    );
    expect((await t.call("GET", "/notifications/admin/deliveries", { token: user.token })).status).toBe(403);
    for (const query of ["status=bogus", "channel=sms", "limit=0", "limit=1e99", "cursor=x' OR 1=1"]) {
      const refused = await t.call("GET", `/notifications/admin/deliveries?${query}`, { token: admin.token });
      expect([400, 422]).toContain(refused.status);
      expect(refused.json.error.code).toBe("VALIDATION_FAILED");
    }
    expect((await t.call("POST", `/notifications/admin/deliveries/${failed.id}/retry`, { token: user.token })).status).toBe(403);

    fcm.invalid.delete(fcmToken);
    const retried = await t.call("POST", `/notifications/admin/deliveries/${failed.id}/retry`, { token: admin.token });
    expect(retried).toMatchObject({ status: 202, json: { id: failed.id, status: "pending" } });
    expect(await sentOn(notification.id)).toMatchObject({ status: "sent", attempts: 2 });
    expect(fcm.to(fcmToken)).toHaveLength(1);
    const again = await t.call("POST", `/notifications/admin/deliveries/${failed.id}/retry`, { token: admin.token });
    expect(again).toMatchObject({ status: 409, json: { error: { code: "CONFLICT" } } });
    expect((await t.call("POST", `/notifications/admin/deliveries/${crypto.randomUUID()}/retry`, { token: admin.token })).status).toBe(404);
  });
});
