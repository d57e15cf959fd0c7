import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually } from "@lodge/kit/testing";
import { createNotification } from "../src/services/create-notification";
import { releaseHeld } from "../src/services/release-held";
import { startTestNotifications, type TestNotifications } from "./harness";

/**
 * The service's Prometheus figures beside notification_sends_total: the delivery latency (from a
 * notification's creation, or a held delivery's due time, to its send) and the depth of every
 * notification queue (the kit's queue_jobs), read from the registry /metrics serves.
 */
let t: TestNotifications;
beforeAll(async () => {
  t = await startTestNotifications();
});
afterAll(() => t.close());

const scrape = () => t.deps.metrics.registry.metrics();
/** The value of the sample `name` with these labels (among others, in any order), 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}) {
  const line = text
    .split("\n")
    .find((candidate) => candidate.startsWith(`${name}{`) && Object.entries(labels).every(([label, value]) => candidate.includes(`${label}="${value}"`)));
  return Number(line?.split(" ").at(-1) ?? 0);
}
const latency = "notification_delivery_latency_seconds";
const email = { channel: "email" };

const announce = (userId: string, title: string) =>
  createNotification({ ctx: t.ctx, input: { userId, type: "system.announcement", data: { title, body: `About ${title}` } } });

describe("metrics", () => {
  /** The registry's text once the email latency's count and the sent count have both grown past `before`'s (the worker counts them one after the other). */
  const afterASend = (before: string) =>
    eventually(async () => {
      const text = await scrape();
      const grew = (name: string, labels: Record<string, string>) => sample(text, name, labels) > sample(before, name, labels);
      return grew(`${latency}_count`, email) && grew("notification_sends_total", { ...email, outcome: "sent" }) && text;
    });

  test("a held email's latency counts from the end of quiet hours, not from its creation", async () => {
    t.setTime("2026-12-01T23:30:00Z");
    const user = await t.recipient({ preferences: { quietHours: { start: "22:00", end: "07:00" } } });
    const before = await scrape();
    const notification = await announce(user.id, "At night");
    expect((await t.deliveriesOf(notification.id)).find((row) => row.channel === "email")).toMatchObject({ status: "held", reason: "quiet_hours" });

    // Swept 4 s after they ended.
    t.setTime("2026-12-02T07:00:04Z");
    await releaseHeld({ ctx: t.ctx });
    await t.smtp.arrived(user.email);
    const after = await afterASend(before);
    const grew = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    expect(grew(`${latency}_count`, email)).toBe(1);
    // At least the 4 s since they ended (the clock runs on), far from the 7.5 h since its creation.
    expect(grew(`${latency}_bucket`, { le: "2.5", ...email })).toBe(0);
    expect(grew(`${latency}_bucket`, { le: "3600", ...email })).toBe(1);
    // The delivery keeps the time it fell due.
    const sent = (await t.deliveriesOf(notification.id)).find((row) => row.channel === "email");
    expect(sent?.status).toBe("sent");
    expect(sent?.dueAt?.toISOString()).toBe("2026-12-02T07:00:00.000Z");
  });

  test("a live email's latency is from its creation; every notification queue reports its depth", async () => {
    t.setTime("2026-12-02T12:00:00Z");
    const user = await t.recipient();
    const before = await scrape();
    await announce(user.id, "At noon");
    await t.smtp.arrived(user.email);
    const after = await afterASend(before);
    expect(sample(after, `${latency}_bucket`, { le: "3600", ...email }) - sample(before, `${latency}_bucket`, { le: "3600", ...email })).toBe(1);
    for (const queue of [
      "notification-email",
      "notification-web_push",
      "notification-fcm",
      "notification-telegram",
      "notification-digest",
      "notification-webhook",
    ]) {
      expect(after).toMatch(new RegExp(`^queue_jobs\\{[^}]*queue="${queue}"`, "m"));
    }
    expect(sample(after, "notification_sends_total", { channel: "email", outcome: "sent" })).toBeGreaterThanOrEqual(2);
  });
});
