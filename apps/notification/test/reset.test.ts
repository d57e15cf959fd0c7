/**
 * The reason the service exists, end to end: a forgotten password is reset from the email alone.
 * The real auth service (its forgot-password worker and outbox included) and the notification
 * service share one database and one Redis prefix, as in production; the email arrives at a real
 * SMTP server, and the token is taken from the link the way a frontend reads it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startAuthService } from "@lodge/auth";
import { authEnv } from "@lodge/auth/env";
import { parseEnv } from "@lodge/config";
import { createTestDatabase } from "@lodge/db/testing";
import { createLogger } from "@lodge/kit";
import { call, createTestRedis, eventually, testRedisUrl } from "@lodge/kit/testing";
import { notificationEnv } from "../src/env";
import { startNotificationService } from "../src/service";
import { startTestSmtp } from "./smtp";

const APP_URL = "https://app.example.com";
const silent = (service: string) => createLogger({ service, level: process.env.TEST_LOG_LEVEL ?? "silent" });

let close: () => Promise<void>;
let authUrl: string;
let notificationUrl: string;
let smtp: Awaited<ReturnType<typeof startTestSmtp>>;

beforeAll(async () => {
  const database = await createTestDatabase();
  const { redis, prefix, cleanup } = await createTestRedis();
  smtp = await startTestSmtp();
  const common = { DATABASE_URL: database.url, REDIS_URL: testRedisUrl, REDIS_PREFIX: prefix, LOG_LEVEL: "silent" };
  const auth = await startAuthService({
    env: parseEnv(authEnv, { ...common, AUTH_COOKIE_SECURE: "false" }),
    database,
    redis,
    maintenance: false,
    logger: silent("auth"),
  });
  const authServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: auth.app.fetch });
  authUrl = `http://127.0.0.1:${authServer.port}`;
  const notification = await startNotificationService({
    env: parseEnv(notificationEnv, {
      ...common,
      JWKS_URL: `${authUrl}/.well-known/jwks.json`,
      APP_URL,
      SMTP_URL: smtp.url,
      MAIL_FROM: "Lodge <no-reply@lodge.test>",
    }),
    database,
    redis,
    logger: silent("notification"),
  });
  const notificationServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: notification.app.fetch });
  notificationUrl = `http://127.0.0.1:${notificationServer.port}`;
  close = async () => {
    await notificationServer.stop(true);
    await notification.close();
    await authServer.stop(true);
    await auth.close();
    await smtp.stop();
    await database.drop();
    await cleanup();
  };
});
afterAll(() => close());

const atAuth = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(authUrl, method, path, options);

describe("a forgotten password", () => {
  test("is reset with the emailed link's token, and the new password signs in", async () => {
    const email = `forgetful-${crypto.randomUUID().slice(0, 8)}@example.com`;
    expect((await atAuth("POST", "/auth/register", { body: { email, password: "the first password" } })).status).toBe(201);
    expect((await atAuth("POST", "/auth/password/forgot", { body: { email } })).status).toBe(202);

    const [mail] = await smtp.arrived(email);
    expect(mail?.subject).toBe("Reset your password");
    const link = mail?.text?.match(/https:\/\/\S+/)?.[0] as string;
    expect(link.startsWith(`${APP_URL}/reset-password?token=`)).toBe(true);
    // The HTML part carries the same link.
    expect(mail?.html).toContain(Bun.escapeHTML(link));
    const token = new URL(link).searchParams.get("token") as string;

    expect((await atAuth("POST", "/auth/password/reset", { body: { token, newPassword: "the second password" } })).status).toBe(204);
    expect((await atAuth("POST", "/auth/login", { body: { email, password: "the first password" } })).status).toBe(401);
    const login = await atAuth("POST", "/auth/login", { body: { email, password: "the second password" } });
    expect(login.status).toBe(200);
    // The token was single-use.
    expect((await atAuth("POST", "/auth/password/reset", { body: { token, newPassword: "a third password" } })).status).toBe(400);

    // The reset itself is a security notice, to the same address (remembered from the registration).
    const notice = await eventually(async () => smtp.to(email).find((message) => message.subject === "Your password was changed"));
    expect(notice.text).toContain("with a reset link");

    // Both are in the inbox, read with the token of the new sign-in (verified against auth's keys).
    const inbox = await eventually(async () => {
      const page = await call(notificationUrl, "GET", "/notifications", { token: login.json.accessToken });
      return page.json.notifications?.length === 2 && page.json.notifications;
    });
    expect(inbox.map((entry: { type: string }) => entry.type)).toEqual(["auth.password_changed", "auth.password_reset"]);
  });
});
