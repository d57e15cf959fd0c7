import { describe, expect, test } from "bun:test";
import { auditLog } from "@lodge/db/schema";
import { eventually, readStream } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import { startTestAuth, type TestAuth } from "./harness";

/** A login as it reaches auth through Caddy (a trusted proxy) from `ip`. */
const login = (auth: TestAuth, ip: string, email: string, password: string) =>
  auth.call("POST", "/auth/login", { body: { email, password }, headers: { "x-forwarded-for": ip } });
const retryAfter = (reply: { headers: Headers }) => Number(reply.headers.get("retry-after"));
const eventsAbout = async (auth: TestAuth, type: string, userId: string) =>
  (await readStream(auth.redis, auth.prefix, type)).filter((event) => event.data.userId === userId);

describe("per-IP limits count an IPv6 client by its network (issue 7, finding 5)", () => {
  test("four addresses in one /64 making wrong guesses are limited together; another /64 is not", async () => {
    // The per-account wait is set out of the way, so only the per-IP limits act here.
    const auth = await startTestAuth({ RATE_LIMIT_LOGIN_PER_ACCOUNT: "1000" });
    try {
      const user = await auth.register();
      const addresses = ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3", "2001:db8:1:2:aaaa:bbbb:cccc:4"];
      for (let guess = 0; guess < 10; guess++) {
        expect((await login(auth, addresses[guess % 4] as string, user.email, `wrong guess ${guess}`)).status).toBe(401);
      }
      // Each address made only two or three guesses, yet the /64 has had its ten.
      for (const address of [...addresses, "2001:db8:1:2::99"]) {
        const refused = await login(auth, address, user.email, user.password);
        expect(refused.status).toBe(429);
        expect(retryAfter(refused)).toBeGreaterThan(0);
      }
      expect((await login(auth, "2001:db8:1:3::1", user.email, user.password)).status).toBe(200);
    } finally {
      await auth.close();
    }
  });

  test("the prefix length is configurable, and applies to every per-IP limit (registration here)", async () => {
    const auth = await startTestAuth({ RATE_LIMIT_IPV6_PREFIX: "48", RATE_LIMIT_REGISTER_PER_IP: "1" });
    try {
      const register = (ip: string, email: string) =>
        auth.call("POST", "/auth/register", { body: { email, password: "long enough password" }, headers: { "x-forwarded-for": ip } });
      expect((await register("2001:db8:1:2::1", "first@example.com")).status).toBe(201);
      expect((await register("2001:db8:1:9::1", "second@example.com")).status).toBe(429);
      expect((await register("2001:db8:2::1", "third@example.com")).status).toBe(201);
    } finally {
      await auth.close();
    }
  });
});

describe("per-account login limit (issue 7, finding 5)", () => {
  test("a distributed guesser is slowed per account (waits double, capped); the owner's password works after the wait and is told once", async () => {
    const auth = await startTestAuth();
    try {
      const user = await auth.register();
      let host = 0;
      const stranger = () => `198.51.${Math.floor(++host / 250)}.${host % 250}`;
      // The clock stands still but for the test's moves, so each wait is exactly what it was set to, however slow the machine.
      const waits = await auth.frozen(async () => {
        // Five free attempts, then the sixth is evaluated and starts a 1 s wait.
        for (let guess = 0; guess < 6; guess++) expect((await login(auth, stranger(), user.email, `wrong guess ${guess}`)).status).toBe(401);
        const seen: number[] = [];
        for (let round = 0; round < 12; round++) {
          const refused = await login(auth, stranger(), user.email, "one more guess");
          expect(refused.status).toBe(429);
          seen.push(retryAfter(refused));
          auth.advance(retryAfter(refused) * 1000);
          // One guess goes through after each wait.
          expect((await login(auth, stranger(), user.email, `guess after wait ${round}`)).status).toBe(401);
        }
        return seen;
      });
      expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]);

      // The owner, on a network the account has not used, waits like anyone, then gets in.
      const held = await login(auth, "203.0.113.50", user.email, user.password);
      expect(held.status).toBe(429);
      expect(held.json.error.code).toBe("RATE_LIMITED");
      auth.advance(retryAfter(held) * 1000);
      expect((await login(auth, "203.0.113.50", user.email, user.password)).status).toBe(200);
      // A success clears the count: the next wrong guess is evaluated again.
      expect((await login(auth, stranger(), user.email, "fresh start")).status).toBe(401);

      const notices = await eventually(async () => {
        const published = await eventsAbout(auth, "auth.login_throttled", user.user.id);
        return published.length > 0 && published;
      });
      expect(notices).toHaveLength(1);
      expect(notices[0]?.data).toMatchObject({ email: user.email, failedAttempts: 6, waitSeconds: 1 });
      const audited = await auth.deps.db.select().from(auditLog).where(eq(auditLog.userId, user.user.id));
      expect(audited.filter((row) => row.action === "login.throttled")).toHaveLength(1);
    } finally {
      await auth.close();
    }
  });

  test("concurrent guesses after a wait: only one is evaluated", async () => {
    const auth = await startTestAuth({ RATE_LIMIT_LOGIN_PER_ACCOUNT: "2" });
    try {
      const user = await auth.register();
      for (let guess = 0; guess < 3; guess++) expect((await login(auth, `192.0.2.${guess + 1}`, user.email, `wrong ${guess}`)).status).toBe(401);
      auth.advance(1000);
      const burst = await Promise.all(Array.from({ length: 10 }, (_, index) => login(auth, `192.0.2.${index + 10}`, user.email, `burst ${index}`)));
      expect(burst.map((reply) => reply.status).sort()).toEqual([401, ...Array<number>(9).fill(429)]);
    } finally {
      await auth.close();
    }
  });

  test("strangers cannot keep the owner out: a network the account signed in from is not held by the account's wait", async () => {
    const auth = await startTestAuth();
    // The clock stands still, so the wait still holds strangers at the end however slow the machine.
    await auth
      .frozen(async () => {
        const user = await auth.register();
        expect((await login(auth, "203.0.113.7", user.email, user.password)).status).toBe(200);
        for (let guess = 0; guess < 8; guess++) await login(auth, `198.51.100.${guess + 1}`, user.email, `wrong ${guess}`);
        expect((await login(auth, "198.51.100.99", user.email, user.password)).status).toBe(429);
        // The owner's usual network: at once, and even a typo there does not add to the strangers' wait.
        expect((await login(auth, "203.0.113.7", user.email, "owner typo")).status).toBe(401);
        expect((await login(auth, "203.0.113.7", user.email, user.password)).status).toBe(200);
        // ... and the owner's success there does not hand the strangers fresh free attempts.
        expect((await login(auth, "198.51.100.98", user.email, "still guessing")).status).toBe(429);
      })
      .finally(() => auth.close());
  });

  test("an owner held on a new network gets in at once from there after a password reset", async () => {
    const auth = await startTestAuth();
    // The clock stands still, so the wait still holds strangers at the end however slow the machine.
    await auth
      .frozen(async () => {
        const user = await auth.register();
        for (let guess = 0; guess < 8; guess++) await login(auth, `198.51.100.${guess + 1}`, user.email, `wrong ${guess}`);
        expect((await login(auth, "203.0.113.80", user.email, user.password)).status).toBe(429);
        await auth.call("POST", "/auth/password/forgot", { body: { email: user.email }, headers: { "x-forwarded-for": "203.0.113.80" } });
        const { token } = (
          await eventually(async () =>
            (await readStream(auth.redis, auth.prefix, "auth.password_reset_requested")).find((event) => event.data.userId === user.user.id),
          )
        ).data as { token: string };
        const reset = await auth.call("POST", "/auth/password/reset", {
          body: { token, newPassword: "a fresh new password" },
          headers: { "x-forwarded-for": "203.0.113.80" },
        });
        expect(reset.status).toBe(204);
        expect((await login(auth, "203.0.113.80", user.email, "a fresh new password")).status).toBe(200);
        expect((await login(auth, "198.51.100.99", user.email, "a fresh new password")).status).toBe(429);
      })
      .finally(() => auth.close());
  });

  test("an unknown email is held the same way (no account enumeration) and no notice is sent", async () => {
    const auth = await startTestAuth({ RATE_LIMIT_LOGIN_PER_ACCOUNT: "2" });
    try {
      const statuses = [];
      for (let guess = 0; guess < 4; guess++) statuses.push((await login(auth, `192.0.2.${guess + 1}`, "nobody-here@example.com", "some guess")).status);
      expect(statuses).toEqual([401, 401, 401, 429]);
      expect(await readStream(auth.redis, auth.prefix, "auth.login_throttled")).toHaveLength(0);
    } finally {
      await auth.close();
    }
  });
});
