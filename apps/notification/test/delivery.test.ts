import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Writable } from "node:stream";
import { notifications } from "@lodge/db/schema";
import { createLogger } from "@lodge/kit";
import { eq } from "drizzle-orm";
import { createMailer } from "../src/helpers/mailer";
import { createNotification } from "../src/services/create-notification";
import { deliver as deliverEmail } from "../src/services/deliver";
import { startTestNotifications, type TestNotifications } from "./harness";

/** Deliveries driven by hand (the worker is off): what a job run does, and what a second run of it does. */
let t: TestNotifications;
beforeAll(async () => {
  t = await startTestNotifications({ jobs: false });
});
afterAll(() => t.close());

async function pendingEmail(address: string) {
  const user = await t.user();
  const data = { title: "Hello", body: "News", link: "https://app.example.com/news" };
  const notification = await createNotification({ ctx: t.ctx, input: { userId: user.id, type: "system.announcement", data, email: address } });
  const delivery = (await t.deliveriesOf(notification.id)).find((row) => row.channel === "email");
  if (!delivery) throw new Error("no email delivery");
  return delivery;
}

describe("an email delivery", () => {
  test("is queued as one job whose id is the delivery's", async () => {
    const delivery = await pendingEmail("queued@example.com");
    const job = await t.deps.deliveryQueues.email.getJob(delivery.id);
    expect(job?.data.deliveryId).toBe(delivery.id);
    expect(job?.opts.attempts).toBe(8);
  });

  test("is sent once: a job that runs again finds it sent and sends nothing", async () => {
    const delivery = await pendingEmail("once@example.com");
    expect(await deliverEmail({ ctx: t.ctx, input: { deliveryId: delivery.id, lastAttempt: false } })).toEqual({ status: "sent" });
    expect(await deliverEmail({ ctx: t.ctx, input: { deliveryId: delivery.id, lastAttempt: false } })).toEqual({ status: "already_done" });
    // Two runs at once (a stalled job picked up while the first still sends): the row lock lets one send.
    const other = await pendingEmail("racing@example.com");
    const outcomes = await Promise.all([1, 2].map(() => deliverEmail({ ctx: t.ctx, input: { deliveryId: other.id, lastAttempt: false } })));
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(["already_done", "sent"]);
    expect(t.smtp.to("once@example.com")).toHaveLength(1);
    expect(t.smtp.to("racing@example.com")).toHaveLength(1);
    const [row] = (await t.deliveriesOf(delivery.notificationId)).filter((entry) => entry.channel === "email");
    expect(row).toMatchObject({ status: "sent", attempts: 1, messageId: `<${delivery.id}@lodge.test>` });
  });

  test("a temporary SMTP failure throws (BullMQ retries), records the attempt, and the retry sends it", async () => {
    const delivery = await pendingEmail("retry@example.com");
    t.smtp.failNext(1);
    await expect(deliverEmail({ ctx: t.ctx, input: { deliveryId: delivery.id, lastAttempt: false } })).rejects.toThrow();
    const [failed] = (await t.deliveriesOf(delivery.notificationId)).filter((entry) => entry.channel === "email");
    expect(failed).toMatchObject({ status: "pending", attempts: 1, reason: "send_failed" });
    expect(await deliverEmail({ ctx: t.ctx, input: { deliveryId: delivery.id, lastAttempt: false } })).toEqual({ status: "sent" });
    const [sent] = (await t.deliveriesOf(delivery.notificationId)).filter((entry) => entry.channel === "email");
    expect(sent).toMatchObject({ status: "sent", attempts: 2, reason: null });
    expect(t.smtp.to("retry@example.com")).toHaveLength(1);
    const metrics = await t.deps.metrics.registry.getSingleMetricAsString("notification_sends_total");
    expect(metrics).toMatch(/notification_sends_total\{channel="email",outcome="retry",service="notification"\} [1-9]/);
    expect(metrics).toMatch(/notification_sends_total\{channel="email",outcome="sent",service="notification"\} [1-9]/);
  });

  test("the last attempt's failure marks it failed, and nothing sends it afterwards", async () => {
    const delivery = await pendingEmail("gives-up@example.com");
    t.smtp.failNext(1);
    await expect(deliverEmail({ ctx: t.ctx, input: { deliveryId: delivery.id, lastAttempt: true } })).rejects.toThrow();
    expect(await deliverEmail({ ctx: t.ctx, input: { deliveryId: delivery.id, lastAttempt: false } })).toEqual({ status: "already_done" });
    const [row] = (await t.deliveriesOf(delivery.notificationId)).filter((entry) => entry.channel === "email");
    expect(row).toMatchObject({ status: "failed", reason: "send_failed" });
    expect(t.smtp.to("gives-up@example.com")).toHaveLength(0);
  });

  test("of a deleted notification is gone: its job sends nothing", async () => {
    const delivery = await pendingEmail("deleted@example.com");
    await t.db.delete(notifications).where(eq(notifications.id, delivery.notificationId));
    expect(await deliverEmail({ ctx: t.ctx, input: { deliveryId: delivery.id, lastAttempt: false } })).toEqual({ status: "gone" });
    expect(t.smtp.to("deleted@example.com")).toHaveLength(0);
  });
});

describe("without SMTP_URL", () => {
  test("each email is logged as one readable block with its recipient, subject and link", async () => {
    let written = "";
    const destination = new Writable({
      write(chunk, _encoding, done) {
        written += chunk.toString();
        done();
      },
    });
    const logger = createLogger({ service: "notification", level: "info", destination });
    const mailer = createMailer({ from: "Lodge <no-reply@lodge.test>", logger });
    expect(mailer.kind).toBe("log");
    await mailer.send({
      to: "dev@example.com",
      subject: "Reset your password",
      text: "Use https://app.example.com/reset-password?token=abc\n",
      html: "<p>x</p>",
      messageId: "<1@lodge.test>",
    });
    const line = JSON.parse(written.trim());
    expect(line.msg).toBe(
      "email not sent (no SMTP_URL), as it would be:\n  To: dev@example.com\n  Subject: Reset your password\n\nUse https://app.example.com/reset-password?token=abc\n",
    );
  });
});
