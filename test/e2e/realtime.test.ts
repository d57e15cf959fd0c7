/**
 * The realtime socket through the production Caddyfile (real `caddy run`, real services): a
 * notification made by auth's event reaches the open socket live, a reconnect replays what was
 * missed, revoking the session closes the socket, and a ticket is good once. Then the same in
 * Debian's headless Chromium: a page's WebSocket receives a notification live through Caddy.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually, openTestSocket } from "@lodge/kit/testing";
import { launchChromium } from "./browser";
import { call, type Stack, startStack } from "./stack";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ services: { notification: {} }, env: { RATE_LIMIT_FORGOT_PER_EMAIL: "50" } });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

const edge = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(stack.url, method, path, options);
const password = "a realtime password";

async function register() {
  const email = `realtime-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const registered = await edge("POST", "/auth/register", { body: { email, password } });
  expect(registered.status).toBe(201);
  return { email, token: registered.json.accessToken as string };
}

async function ticketFor(token: string) {
  const reply = await edge("POST", "/notifications/realtime/ticket", { token });
  expect(reply.status).toBe(200);
  return reply.json.ticket as string;
}

const socketUrl = (ticket: string) => `${stack.url.replace(/^http/, "ws")}/notifications/realtime?ticket=${ticket}`;

/** A notification for `email`'s owner, made the real way: auth publishes the reset request, the notification service stores it. */
const requestReset = async (email: string) => expect((await edge("POST", "/auth/password/forgot", { body: { email } })).status).toBe(202);

describe("the realtime socket through Caddy", () => {
  test("live delivery, reconnect and replay, a ticket good once, and the session's revocation closing the socket", async () => {
    const { email, token } = await register();
    const ticket = await ticketFor(token);
    const socket = await openTestSocket(socketUrl(ticket));
    socket.send({ type: "resume" });
    expect(await socket.next()).toEqual({ type: "unread_count", count: 0 });

    await requestReset(email);
    const live = await socket.next((message) => message.type === "notification.created");
    expect(live.notification).toMatchObject({ type: "auth.password_reset", category: "security", readAt: null });
    expect(await socket.next()).toEqual({ type: "unread_count", count: 1 });

    // The ticket was spent by the first upgrade: Caddy passes the service's 401 on, in the error shape.
    const reused = await fetch(socketUrl(ticket).replace(/^ws/, "http"), {
      headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-version": "13", "sec-websocket-key": btoa("0123456789abcdef") },
    });
    expect(reused.status).toBe(401);
    expect(await reused.json()).toMatchObject({ error: { code: "UNAUTHORIZED" } });

    // Dropped; two more arrive meanwhile; the reconnect asks for what came after the last one seen.
    socket.close();
    await socket.closed;
    await requestReset(email);
    await requestReset(email);
    await eventually(async () => (await edge("GET", "/notifications", { token })).json.notifications.length === 3);
    const again = await openTestSocket(socketUrl(await ticketFor(token)));
    again.send({ type: "resume", after: live.notification.id });
    const replayed = [
      await again.next((message) => message.type === "notification.created"),
      await again.next((message) => message.type === "notification.created"),
    ];
    const inbox = (await edge("GET", "/notifications", { token })).json.notifications;
    expect(replayed.map((message) => message.notification.id)).toEqual([inbox[1].id, inbox[0].id]);
    expect(await again.next((message) => message.type === "unread_count")).toEqual({ type: "unread_count", count: 3 });

    // Signing the session out elsewhere (another session of the user revokes it) closes its socket.
    const other = await edge("POST", "/auth/login", { body: { email, password } });
    const sessionId = JSON.parse(atob(token.split(".")[1] as string)).sid as string;
    expect((await edge("DELETE", `/auth/sessions/${sessionId}`, { token: other.json.accessToken })).status).toBe(204);
    expect(await again.closed).toMatchObject({ code: 4401 });
  });

  test("a browser's WebSocket (headless Chromium) receives a notification live through Caddy", async () => {
    const { email, token } = await register();
    const ticket = await ticketFor(token);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      // Strings, not functions: this runs in the page, and the repository's types have no DOM.
      await page.evaluate(`new Promise((resolve, reject) => {
        window.received = [];
        const socket = new WebSocket(${JSON.stringify(socketUrl(ticket))});
        socket.onmessage = (event) => window.received.push(JSON.parse(event.data));
        socket.onopen = () => { socket.send(JSON.stringify({ type: "resume" })); resolve(); };
        socket.onclose = (event) => reject(new Error("closed " + event.code));
      })`);
      await page.waitForFunction("window.received.some((message) => message.type === 'unread_count')");
      await requestReset(email);
      await page.waitForFunction("window.received.some((message) => message.type === 'notification.created')");
      const received = (await page.evaluate("window.received")) as { type: string; notification?: { type: string } }[];
      expect(received.find((message) => message.type === "notification.created")?.notification).toMatchObject({ type: "auth.password_reset" });
    } finally {
      await browser.close();
    }
  });

  // Last: it stops the stack's notification service.
  test("SIGTERM: the service closes its sockets with 1001 (clients reconnect elsewhere) and exits instead of waiting on them", async () => {
    const { token } = await register();
    const socket = await openTestSocket(socketUrl(await ticketFor(token)));
    socket.send({ type: "resume" });
    await socket.next();
    const notification = stack.notification;
    if (!notification) throw new Error("the notification service was not started");
    notification.child.kill("SIGTERM");
    expect(await socket.closed).toMatchObject({ code: 1001 });
    expect(await notification.exited()).toBe(0);
    expect(notification.output()).toContain('"msg":"stopped"');
  });
});
