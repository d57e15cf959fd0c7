import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually } from "@lodge/kit/testing";
import { rememberRecipient } from "../src/services/remember-recipient";
import { APP_URL, startTestNotifications, type TestNotifications } from "./harness";

let t: TestNotifications;
beforeAll(async () => {
  t = await startTestNotifications();
});
afterAll(() => t.close());

const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

describe("emails from auth's events, through a real SMTP server", () => {
  test("a password reset request: one multipart email with the frontend link and token, a stable Message-ID, and a linkless inbox entry", async () => {
    const user = await t.user();
    const email = `reset-${user.id}@example.com`;
    const token = "tok_+/=reset&more";
    const event = await t.publish("auth.password_reset_requested", { userId: user.id, email, token, expiresAt: inAnHour() });

    const [mail] = await t.smtp.arrived(email);
    const link = `${APP_URL}/reset-password?token=${encodeURIComponent(token)}`;
    expect(mail?.subject).toBe("Reset your password");
    expect(mail?.from?.value).toEqual([{ name: "Lodge", address: "no-reply@lodge.test" }]);
    expect(mail?.text).toContain(link);
    expect(mail?.html).toContain(Bun.escapeHTML(link));

    const [notification] = await t.notificationsOf(user.id);
    expect(notification).toMatchObject({ type: "auth.password_reset", category: "security", sourceKey: event.id, link: null });
    const channels = await eventually(async () => {
      const rows = await t.deliveriesOf(notification?.id as string);
      return rows.every((row) => row.status === "sent") && rows;
    });
    const emailDelivery = channels.find((row) => row.channel === "email");
    expect(emailDelivery).toMatchObject({ status: "sent", attempts: 1, address: email });
    expect(mail?.messageId).toBe(`<${emailDelivery?.id}@lodge.test>`);
    expect(emailDelivery?.messageId).toBe(mail?.messageId as string);
    // The link with its token is not kept once the email is out.
    expect((await t.notificationsOf(user.id))[0]?.data).toEqual({});

    // The worker runs the delivery's job again (queued once more under another id): nothing more is sent.
    const again = await t.deps.deliveryQueues.email.add("send", { deliveryId: emailDelivery?.id as string }, { jobId: `again-${emailDelivery?.id}` });
    expect(
      await eventually(async () => (await again.getState()) === "completed" && (await t.deps.deliveryQueues.email.getJob(again.id as string))?.returnvalue),
    ).toEqual({
      status: "already_done",
    });
    expect(t.smtp.to(email)).toHaveLength(1);
  });

  test("a verification request in the user's language (the recipient's locale), the link on the verify path", async () => {
    const user = await t.user();
    const email = `verify-${user.id}@example.com`;
    await rememberRecipient({ ctx: t.ctx, input: { userId: user.id, locale: "de-AT", timeZone: "Europe/Vienna" } });
    await t.publish("auth.email_verification_requested", { userId: user.id, email, token: "verify-token", expiresAt: "2026-07-01T10:00:00.000Z" });
    const [mail] = await t.smtp.arrived(email);
    expect(mail?.subject).toBe("Bestätige deine E-Mail-Adresse");
    expect(mail?.text).toContain(`${APP_URL}/verify-email?token=verify-token`);
    // 10:00 UTC in Vienna in summer.
    expect(mail?.text).toContain("12:00");
  });

  test("a redelivered event makes no second notification and no second email", async () => {
    const user = await t.user();
    const email = `again-${user.id}@example.com`;
    const event = await t.publish("auth.password_reset_requested", { userId: user.id, email, token: "once", expiresAt: inAnHour() });
    await t.smtp.arrived(email);
    // The same envelope again (the outbox republishes with the same id after a crash).
    await t.deps.bus.publish("auth.password_reset_requested", event.data, { id: event.id });
    const marker = await t.user();
    await t.publish("auth.password_reset_requested", { userId: marker.id, email: `marker-${marker.id}@example.com`, token: "m", expiresAt: inAnHour() });
    await t.smtp.arrived(`marker-${marker.id}@example.com`);
    expect(await t.notificationsOf(user.id)).toHaveLength(1);
    expect(t.smtp.to(email)).toHaveLength(1);
  });

  test("a password change: a security notice to the address the user registered with", async () => {
    const user = await t.user();
    const email = `changed-${user.id}@example.com`;
    await t.publish("user.registered", { userId: user.id, email, name: null });
    await t.publish("auth.password_changed", { userId: user.id, via: "change" });
    const [mail] = await t.smtp.arrived(email);
    expect(mail?.subject).toBe("Your password was changed");
    expect(mail?.text).toContain(`${APP_URL}/settings/security`);
    const [notification] = await t.notificationsOf(user.id);
    expect(notification).toMatchObject({ type: "auth.password_changed", category: "security", link: `${APP_URL}/settings/security` });
  });

  test("without a known address the email is skipped (no_address); the inbox still has the notice", async () => {
    const user = await t.user();
    await t.publish("auth.password_changed", { userId: user.id, via: "reset" });
    const [notification] = await t.notificationsOf(user.id);
    const rows = await t.deliveriesOf(notification?.id as string);
    expect(rows.map((row) => [row.channel, row.status, row.reason]).sort()).toEqual([
      ["email", "skipped", "no_address"],
      ["in_app", "sent", null],
    ]);
  });

  test("a session revoked for refresh-token reuse is a suspicious-refresh notice; other revocations are not", async () => {
    const user = await t.user();
    const email = `reuse-${user.id}@example.com`;
    await t.publish("user.registered", { userId: user.id, email, name: "Reuse" });
    await t.publish("auth.session_revoked", { userId: user.id, sessionIds: [user.sessionId], reason: "logout" });
    await t.publish("auth.session_revoked", { userId: user.id, sessionIds: [user.sessionId], reason: "refresh_reuse" });
    const [mail] = await t.smtp.arrived(email);
    expect(mail?.subject).toBe("We signed out a session of your account");
    const rows = await t.notificationsOf(user.id);
    expect(rows.map((row) => row.type)).toEqual(["auth.suspicious_refresh"]);
  });
});
