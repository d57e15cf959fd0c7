/**
 * The quick start's password reset, through the production Caddyfile: without SMTP_URL the
 * notification service writes each email to its log, and the link in that log resets the password.
 * The inbox, through Caddy, then holds the reset and the security notice that followed it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually } from "@lodge/kit/testing";
import { call, type Stack, startStack } from "./stack";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ services: { notification: {} } });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

const edge = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(stack.url, method, path, options);

describe("password reset from the logged email", () => {
  test("the link in the log carries the token; the new password signs in; the inbox shows both notices", async () => {
    const email = `quickstart-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const registered = await edge("POST", "/auth/register", { body: { email, password: "the first password" } });
    expect(registered.status).toBe(201);
    expect((await edge("POST", "/auth/password/forgot", { body: { email } })).status).toBe(202);

    const notification = stack.notification;
    if (!notification) throw new Error("the notification service was not started");
    // One JSON log line whose message is the whole email, recipient, subject and link included.
    const logged = await eventually(() =>
      notification
        .output()
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as { msg: string; to?: string })
        .find((line) => line.to === email && line.msg.includes("Subject: Reset your password")),
    );
    expect(logged.msg).toContain(`To: ${email}`);
    const link = logged.msg.match(/https?:\/\/\S+reset-password\?token=\S+/)?.[0] as string;
    expect(link.startsWith(`${stack.url}/reset-password?token=`)).toBe(true);
    const token = new URL(link).searchParams.get("token") as string;

    expect((await edge("POST", "/auth/password/reset", { body: { token, newPassword: "the second password" } })).status).toBe(204);
    const login = await edge("POST", "/auth/login", { body: { email, password: "the second password" } });
    expect(login.status).toBe(200);

    const inbox = await eventually(async () => {
      const page = await edge("GET", "/notifications", { token: login.json.accessToken });
      return page.json.notifications?.length === 2 && page;
    });
    expect(inbox.json.notifications.map((entry: { type: string }) => entry.type)).toEqual(["auth.password_changed", "auth.password_reset"]);
    const [changed] = inbox.json.notifications;
    // Its email is skipped only if no address is known; the registration gave one, so it is (logged as) sent once its job has run.
    const detail = await eventually(async () => {
      const found = await edge("GET", `/notifications/${changed.id}`, { token: login.json.accessToken });
      return (
        found.json.deliveries?.some((delivery: { channel: string; status: string }) => delivery.channel === "email" && delivery.status !== "pending") && found
      );
    });
    expect(detail.json.deliveries).toEqual(expect.arrayContaining([expect.objectContaining({ channel: "email", status: "sent" })]));
    expect((await edge("GET", "/notifications/unread-count", { token: login.json.accessToken })).json).toEqual({ count: 2 });
  });
});
