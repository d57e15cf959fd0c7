import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEnv } from "@lodge/config";
import webpush from "web-push";
import { describeChannels } from "../src/channels/index";
import { notificationEnv } from "../src/env";
import { createNotification } from "../src/services/create-notification";
import { startTestNotifications, type TestNotifications } from "./harness";

/** Channels without credentials: the service starts, says how to configure them, and skips their deliveries. */
let t: TestNotifications;
beforeAll(async () => {
  t = await startTestNotifications({ jobs: false });
});
afterAll(() => t.close());

const base = { DATABASE_URL: "postgres://localhost/x", REDIS_URL: "redis://localhost:6379", JWKS_URL: "http://localhost/jwks" };

describe("channel configuration", () => {
  test("empty values are unset; half a VAPID pair or a bad service account is refused at boot", () => {
    const env = parseEnv(notificationEnv, {
      ...base,
      VAPID_PUBLIC_KEY: "",
      VAPID_PRIVATE_KEY: "",
      VAPID_SUBJECT: "",
      FCM_SERVICE_ACCOUNT: "",
      TELEGRAM_BOT_TOKEN: "",
    });
    expect([env.VAPID_PUBLIC_KEY, env.FCM_SERVICE_ACCOUNT, env.TELEGRAM_BOT_TOKEN]).toEqual([undefined, undefined, undefined]);
    const { publicKey } = webpush.generateVAPIDKeys();
    expect(() => parseEnv(notificationEnv, { ...base, VAPID_PUBLIC_KEY: publicKey })).toThrow("go together");
    expect(() => parseEnv(notificationEnv, { ...base, FCM_SERVICE_ACCOUNT: '{"project_id":"x"}' })).toThrow("FCM_SERVICE_ACCOUNT: is not a service account");
    expect(() => parseEnv(notificationEnv, { ...base, TELEGRAM_BOT_TOKEN: "nope" })).toThrow("TELEGRAM_BOT_TOKEN");
  });

  test("the boot log line says which channels send and how to turn on the others", () => {
    const line = describeChannels(t.deps.channels, t.deps.mailer);
    expect(line).toBe(
      "notification channels: email: on; web_push: off (set VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY (bun run --cwd apps/notification vapid:keys) and VAPID_SUBJECT); fcm: off (set FCM_SERVICE_ACCOUNT to the Firebase service account's JSON key); telegram: off (set TELEGRAM_BOT_TOKEN (the bot service's token))",
    );
  });

  test("without VAPID keys there is no public key to subscribe with (404)", async () => {
    const user = await t.user();
    const answer = await t.call("GET", "/notifications/push/vapid-public-key", { token: user.token });
    expect(answer).toMatchObject({ status: 404, json: { error: { code: "NOT_FOUND" } } });
  });

  test("deliveries on an unconfigured channel are skipped (not_configured), nothing is queued for them", async () => {
    const user = await t.user();
    const data = { title: "Hello", body: "There" };
    const notification = await createNotification({
      ctx: t.ctx,
      input: { userId: user.id, type: "system.announcement", data },
    });
    const rows = await t.deliveriesOf(notification.id);
    expect(rows.map((row) => [row.channel, row.status, row.reason]).sort()).toEqual([
      ["email", "skipped", "no_address"],
      ["fcm", "skipped", "not_configured"],
      ["in_app", "sent", null],
      ["telegram", "skipped", "not_configured"],
      ["web_push", "skipped", "not_configured"],
    ]);
    for (const queue of Object.values(t.deps.deliveryQueues)) expect(await queue.getJobCounts("wait", "delayed")).toEqual({ wait: 0, delayed: 0 });
  });
});
