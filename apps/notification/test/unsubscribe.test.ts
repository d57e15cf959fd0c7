import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEnv } from "@lodge/config";
import { categoryPreferences, erasedUsers, recipients } from "@lodge/db/schema";
import { defaultPreferences } from "@lodge/events";
import { eventually, expectErrorShape } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import type { ParsedMail } from "mailparser";
import { notificationEnv } from "../src/env";
import { signUnsubscribe } from "../src/helpers/unsubscribe";
import { createNotification } from "../src/services/create-notification";
import { releaseHeld } from "../src/services/release-held";
import { startTestNotifications, type TestNotifications } from "./harness";

/**
 * One-click unsubscribe (RFC 8058), through a real SMTP server: the headers on the mail, and the
 * public link behind them, followed as a mail client does (POST with the RFC's body) and as a link
 * scanner does (GET, which must change nothing).
 */
const PUBLIC_URL = "https://api.lodge.test";
const SECRET = "unsubscribe-test-secret-0123456789abcdef";
/** Above what this file's other tests send from 127.0.0.1 in a minute. */
const PER_MINUTE = 100;
let t: TestNotifications;
beforeAll(async () => {
  t = await startTestNotifications({
    env: { NOTIFICATION_PUBLIC_URL: PUBLIC_URL, NOTIFICATION_UNSUBSCRIBE_SECRET: SECRET, NOTIFICATION_UNSUBSCRIBE_PER_MINUTE: String(PER_MINUTE) },
  });
});
afterAll(() => t.close());

const oneClick = { "content-type": "application/x-www-form-urlencoded" };
const ONE_CLICK_BODY = "List-Unsubscribe=One-Click";

/** The one mail to `address` with this subject, once it has arrived. */
const mailTo = (address: string, subject: string) =>
  eventually(() => t.smtp.to(address).find((mail) => mail.subject === subject) ?? false) as Promise<ParsedMail>;

/** A header as it was on the wire (mailparser parses List-* headers into objects). */
const rawHeader = (mail: ParsedMail, name: string) =>
  mail.headerLines
    .find((line) => line.key === name.toLowerCase())
    ?.line.slice(name.length + 1)
    .replace(/\r?\n\s+/g, " ")
    .trim();

/** The link of a mail's List-Unsubscribe header, as path + query on the service under test. */
function unsubscribeLinkOf(mail: ParsedMail) {
  const header = rawHeader(mail, "List-Unsubscribe") ?? "";
  const url = new URL(/^<(https:[^>]+)>$/.exec(header)?.[1] ?? "https://invalid/");
  expect(url.origin).toBe(PUBLIC_URL);
  return `${url.pathname}${url.search}`;
}

const emailChoice = async (token: string, category: string) =>
  ((await t.call("GET", "/notifications/preferences", { token })).json as { categories: Record<string, { email: { enabled: boolean; source: string } }> })
    .categories[category]?.email;

describe("the headers", () => {
  test("a non-critical email carries List-Unsubscribe (an https link to the public origin) and List-Unsubscribe-Post; a password reset carries neither", async () => {
    const user = await t.recipient();
    await t.announce(user.id, "With headers");
    const mail = await mailTo(user.email, "With headers");
    expect(rawHeader(mail, "List-Unsubscribe")).toMatch(/^<https:\/\/api\.lodge\.test\/notifications\/unsubscribe\?token=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}>$/);
    expect(rawHeader(mail, "List-Unsubscribe-Post")).toBe("List-Unsubscribe=One-Click");
    // The token names the user and the category, signed with the configured secret.
    expect(unsubscribeLinkOf(mail)).toBe(`/notifications/unsubscribe?token=${signUnsubscribe(SECRET, { userId: user.id, categories: ["product"] })}`);

    await t.publish("auth.password_reset_requested", { userId: user.id, email: user.email, token: "reset", expiresAt: t.now().toISOString() });
    const reset = await mailTo(user.email, "Reset your password");
    expect(rawHeader(reset, "List-Unsubscribe")).toBeUndefined();
    expect(rawHeader(reset, "List-Unsubscribe-Post")).toBeUndefined();
    expect(reset.headers.has("list")).toBe(false);
  });
});

describe("the link", () => {
  test("POSTing it with the RFC 8058 body opts the user out of that category's email, idempotently; the next one is skipped (opted_out)", async () => {
    const user = await t.recipient();
    await t.announce(user.id, "Before");
    const link = unsubscribeLinkOf(await mailTo(user.email, "Before"));
    expect(await emailChoice(user.token, "product")).toEqual({ enabled: true, source: "default" });

    const done = await t.call("POST", link, { body: ONE_CLICK_BODY, headers: oneClick });
    expect(done.status).toBe(200);
    expect(done.headers.get("content-type")).toContain("text/html");
    expect(done.text).toContain("You will no longer receive product news emails");
    expect(await emailChoice(user.token, "product")).toEqual({ enabled: false, source: "category" });
    // Again (a mail client retrying): the same answer, the same single choice.
    expect((await t.call("POST", link, { body: ONE_CLICK_BODY, headers: oneClick })).status).toBe(200);
    expect(await t.db.select().from(categoryPreferences).where(eq(categoryPreferences.userId, user.id))).toMatchObject([
      { category: "product", channel: "email", enabled: false },
    ]);

    const { email } = await t.announce(user.id, "After");
    expect(email).toMatchObject({ status: "skipped", reason: "opted_out" });
  });

  test("a multipart/form-data POST (the RFC's other encoding) works too", async () => {
    const user = await t.recipient();
    await t.announce(user.id, "Multipart");
    const link = unsubscribeLinkOf(await mailTo(user.email, "Multipart"));
    const form = new FormData();
    form.set("List-Unsubscribe", "One-Click");
    const response = await fetch(`${t.url}${link}`, { method: "POST", body: form });
    expect(response.status).toBe(200);
    expect(await emailChoice(user.token, "product")).toEqual({ enabled: false, source: "category" });
  });

  test("GET (a link scanner, a person clicking) changes nothing: a script-free page, in the user's language, whose button POSTs back", async () => {
    const user = await t.recipient({ preferences: { language: "de" } });
    await t.announce(user.id, "Gescannt");
    const link = unsubscribeLinkOf(await mailTo(user.email, "Gescannt"));

    const page = await t.call("GET", link);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(page.headers.get("content-security-policy")).toContain("form-action 'self'");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.text).toContain('<html lang="de">');
    expect(page.text).toContain("Keine Produktneuigkeiten-E-Mails mehr erhalten?");
    expect(page.text).not.toContain("<script");
    const form = /<form method="post" action="([^"]+)">/.exec(page.text)?.[1];
    expect(form).toBe(`?token=${new URLSearchParams(link.split("?")[1]).get("token")}`);
    expect(page.text).toContain('<input type="hidden" name="List-Unsubscribe" value="One-Click">');
    for (let scan = 0; scan < 3; scan += 1) expect((await t.call("GET", link)).status).toBe(200);
    expect(await emailChoice(user.token, "product")).toEqual({ enabled: true, source: "default" });

    // The page's button: the form posted back to the same URL.
    expect((await t.call("POST", `/notifications/unsubscribe${form}`, { body: ONE_CLICK_BODY, headers: oneClick })).status).toBe(200);
    expect(await emailChoice(user.token, "product")).toEqual({ enabled: false, source: "category" });
  });

  test("a token for one category leaves the others alone", async () => {
    const user = await t.recipient();
    const reminders = signUnsubscribe(SECRET, { userId: user.id, categories: ["reminders"] });
    expect((await t.call("POST", `/notifications/unsubscribe?token=${reminders}`, { body: ONE_CLICK_BODY, headers: oneClick })).status).toBe(200);
    expect(await emailChoice(user.token, "reminders")).toEqual({ enabled: false, source: "category" });
    expect(await emailChoice(user.token, "product")).toEqual({ enabled: true, source: "default" });
    expect(await emailChoice(user.token, "ai")).toEqual({ enabled: true, source: "default" });
    // Going out now: `pending`, or already `sent` when the running email worker was quicker.
    expect(["pending", "sent"]).toContain((await t.announce(user.id, "Still wanted")).email?.status ?? "none");
  });
});

describe("the link after the user's data was erased", () => {
  test("still answers (a mail client retrying), but stores nothing about the user again", async () => {
    const user = await t.recipient();
    await t.publish("user.deletion_requested", { userId: user.id, requestedAt: t.now().toISOString() });
    await eventually(
      async () =>
        (await t.db.select().from(erasedUsers)).length > 0 && (await t.db.select().from(recipients).where(eq(recipients.userId, user.id))).length === 0,
    );
    const token = signUnsubscribe(SECRET, { userId: user.id, categories: ["product"] });
    expect((await t.call("POST", `/notifications/unsubscribe?token=${token}`, { body: ONE_CLICK_BODY, headers: oneClick })).status).toBe(200);
    expect(await t.db.select().from(categoryPreferences).where(eq(categoryPreferences.userId, user.id))).toEqual([]);
  });
});

describe("configuration", () => {
  const base = {
    DATABASE_URL: "postgres://localhost/x",
    REDIS_URL: "redis://localhost:6379",
    JWKS_URL: "http://localhost/jwks",
    SMTP_URL: "smtp://localhost:25",
  };
  const production = { ...base, NODE_ENV: "production", NOTIFICATION_CLIENT_SECRET: "c".repeat(32) };
  test("NOTIFICATION_UNSUBSCRIBE_SECRET is required in production and at least 32 characters; development signs with a fixed key", () => {
    expect(() => parseEnv(notificationEnv, production)).toThrow("NOTIFICATION_UNSUBSCRIBE_SECRET: is required in production");
    expect(() => parseEnv(notificationEnv, { ...production, NOTIFICATION_UNSUBSCRIBE_SECRET: "short" })).toThrow("NOTIFICATION_UNSUBSCRIBE_SECRET");
    expect(parseEnv(notificationEnv, { ...production, NOTIFICATION_UNSUBSCRIBE_SECRET: "s".repeat(32) }).NOTIFICATION_UNSUBSCRIBE_SECRET).toBe("s".repeat(32));
    const development = parseEnv(notificationEnv, base);
    expect(development.NOTIFICATION_UNSUBSCRIBE_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(development.NOTIFICATION_PUBLIC_URL).toBe("http://localhost:8080");
  });
});

describe("refused", () => {
  test("forged, tampered, re-targeted and other-secret tokens, a critical category, a wrong body: 4xx in the error shape, nothing written", async () => {
    const user = await t.recipient();
    const other = await t.recipient();
    const good = signUnsubscribe(SECRET, { userId: user.id, categories: ["product"] });
    const [payload = "", signature = ""] = good.split(".");
    const payloadOf = (text: string) => Buffer.from(text).toString("base64url");
    const flipped = `${signature.slice(0, -2)}${signature.at(-2) === "A" ? "B" : "A"}${signature.at(-1)}`;
    const forbidden = [
      // Another secret (anyone can compute HMACs, not with ours).
      signUnsubscribe("another-secret-0123456789abcdefghijklmnop", { userId: user.id, categories: ["product"] }),
      // The other user's id or another category under this token's signature.
      `${payloadOf(`${other.id}:product`)}.${signature}`,
      `${payloadOf(`${user.id}:product,reminders`)}.${signature}`,
      `${payloadOf(`${user.id}:reminders`)}.${signature}`,
      // A flipped signature character.
      `${payload}.${flipped}`,
      // Critical categories cannot be turned off, even with a valid signature.
      signUnsubscribe(SECRET, { userId: user.id, categories: ["security"] }),
      signUnsubscribe(SECRET, { userId: user.id, categories: ["nonsense" as "product"] }),
    ];
    for (const token of forbidden) {
      for (const method of ["GET", "POST"]) {
        const response = await t.call(
          method,
          `/notifications/unsubscribe?token=${token}`,
          method === "POST" ? { body: ONE_CLICK_BODY, headers: oneClick } : {},
        );
        expect({ token, method, status: response.status }).toEqual({ token, method, status: 403 });
        expectErrorShape(response, `${method} ${token}`);
      }
    }
    const unreadable = ["", "abc", `${payload}.`, `.${signature}`, `${payload}.${signature}x`, `${good}.x`, "a".repeat(300), `${payload}%00.${signature}`];
    for (const token of unreadable) {
      const response = await t.call("POST", `/notifications/unsubscribe?token=${token}`, { body: ONE_CLICK_BODY, headers: oneClick });
      expect({ token, status: response.status }).toEqual({ token, status: 422 });
      expectErrorShape(response, token);
    }
    expect((await t.call("POST", "/notifications/unsubscribe", { body: ONE_CLICK_BODY, headers: oneClick })).status).toBe(422);
    // The right token with no body, another body, JSON, or an oversized form.
    const url = `/notifications/unsubscribe?token=${good}`;
    for (const [body, headers, status] of [
      [undefined, {}, 422],
      ["List-Unsubscribe=Yes", oneClick, 422],
      ["", oneClick, 422],
      [JSON.stringify({ "List-Unsubscribe": "One-Click" }), { "content-type": "application/json" }, 415],
      [`${ONE_CLICK_BODY}&pad=${"x".repeat(4096)}`, oneClick, 413],
    ] as const) {
      const response = await t.call("POST", url, { body, headers });
      expect({ body: body?.slice(0, 30), status: response.status }).toEqual({ body: body?.slice(0, 30), status });
      expectErrorShape(response, `body ${body?.slice(0, 30)}`);
    }
    for (const someone of [user, other]) {
      expect(await t.db.select().from(categoryPreferences).where(eq(categoryPreferences.userId, someone.id))).toEqual([]);
    }
  });

  test("more than NOTIFICATION_UNSUBSCRIBE_PER_MINUTE requests a minute from one IP are 429 with Retry-After; another IP is not held back", async () => {
    const forged = signUnsubscribe("another-secret-0123456789abcdefghijklmnop", { userId: crypto.randomUUID(), categories: ["product"] });
    // Caddy's X-Forwarded-For (127.0.0.1 is a trusted proxy) names the client: a network of its own for this test.
    const from = (ip: string) => t.call("GET", `/notifications/unsubscribe?token=${forged}`, { headers: { "x-forwarded-for": ip } });
    for (let request = 0; request < PER_MINUTE; request += 1) expect((await from("203.0.113.7")).status).toBe(403);
    const limited = await from("203.0.113.7");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expectErrorShape(limited, "rate limited");
    expect((await from("198.51.100.9")).status).toBe(403);
  });
});

describe("digests", () => {
  test("a digest's link turns off email for each category it carried, and only those", async () => {
    t.setTime("2026-12-01T20:00:00Z");
    const daily = { ...defaultPreferences.notifications, email: { enabled: true, frequency: "daily" as const } };
    const user = await t.recipient({ preferences: { notifications: daily } });
    await t.announce(user.id, "Digest news");
    await createNotification({ ctx: t.ctx, input: { userId: user.id, type: "reminder", data: { text: "Water the plants", at: "2026-12-01T20:00:00.000Z" } } });
    t.setTime("2026-12-02T09:01:00Z");
    expect((await releaseHeld({ ctx: t.ctx })).gathered).toBe(2);
    const digest = await mailTo(user.email, "2 new notifications");
    const link = unsubscribeLinkOf(digest);
    expect(link).toBe(`/notifications/unsubscribe?token=${signUnsubscribe(SECRET, { userId: user.id, categories: ["product", "reminders"] })}`);
    expect(rawHeader(digest, "List-Unsubscribe-Post")).toBe("List-Unsubscribe=One-Click");

    expect((await t.call("POST", link, { body: ONE_CLICK_BODY, headers: oneClick })).status).toBe(200);
    // A token issued at the clock's new time.
    const { token } = await t.issuer.user({ id: user.id });
    expect(await emailChoice(token, "product")).toEqual({ enabled: false, source: "category" });
    expect(await emailChoice(token, "reminders")).toEqual({ enabled: false, source: "category" });
    expect(await emailChoice(token, "ai")).toEqual({ enabled: true, source: "default" });
  });
});
