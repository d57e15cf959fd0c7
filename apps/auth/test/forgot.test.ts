import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readStream } from "@lodge/kit/testing";
import { startTestAuth, type TestAuth } from "./harness";
import { mannWhitneyP, signedRankP } from "./rank-tests";

let auth: TestAuth;
beforeAll(async () => {
  // The per-email limit is raised so that every known-email request does its full work.
  auth = await startTestAuth({ RATE_LIMIT_FORGOT_PER_EMAIL: "1000" });
});
afterAll(() => auth.close());

const forgot = (target: TestAuth, ip: string, email: string) =>
  target.call("POST", "/auth/password/forgot", { body: { email }, headers: { "x-forwarded-for": ip } });
const retryAfter = (reply: { headers: Headers }) => Number(reply.headers.get("retry-after"));
const eventsAbout = async (target: TestAuth, type: string, userId: string) =>
  (await readStream(target.redis, target.prefix, type)).filter((event) => event.data.userId === userId);

describe("forgot-password timing (issue 7, finding 10)", () => {
  test("the statistics tell apart samples that differ and not samples that do not", () => {
    const base = Array.from({ length: 40 }, (_, index) => 2 + ((index * 7) % 10) / 10);
    const slower = base.map((value, index) => value * 1.5 + (index % 3) / 10);
    expect(mannWhitneyP(base, base)).toBeGreaterThan(0.9);
    expect(signedRankP(base.map((value, index) => [value, base[(index + 1) % 40] as number]))).toBeGreaterThan(0.5);
    expect(mannWhitneyP(slower, base)).toBeLessThan(1e-6);
    expect(signedRankP(slower.map((value, index) => [value, base[index] as number]))).toBeLessThan(1e-6);
  });

  test("known and unknown emails are answered in indistinguishable time (rank tests over 60 interleaved pairs)", async () => {
    const known = await auth.register();
    let host = 0;
    const timed = async (email: string) => {
      host += 1;
      const started = performance.now();
      // Each from its own address, so the per-IP limit stays out of the way.
      const reply = await auth.call("POST", "/auth/password/forgot", { body: { email }, headers: { "x-forwarded-for": `198.51.${host >> 8}.${host & 255}` } });
      const elapsed = performance.now() - started;
      expect(reply.status).toBe(202);
      // Nothing left running in the background into the next sample.
      await auth.passwordResetsSettled();
      return elapsed;
    };
    const unknownEmail = (index: number) => `nobody-${index}-${crypto.randomUUID().slice(0, 6)}@example.com`;
    // Warm both paths up (prepared statements, scripts, JIT) before measuring.
    for (let index = 0; index < 5; index++) {
      await timed(known.email);
      await timed(unknownEmail(index));
    }
    const pairs: [known: number, unknown: number][] = [];
    for (let index = 0; index < 60; index++) {
      // Each pair in random order, so neither kind always follows the other.
      if (Math.random() < 0.5) {
        const knownMs = await timed(known.email);
        pairs.push([knownMs, await timed(unknownEmail(index))]);
      } else {
        const unknownMs = await timed(unknownEmail(index));
        pairs.push([await timed(known.email), unknownMs]);
      }
    }
    // A strict level: the old code (lookup and token on the request path) gave p between 1e-6 and
    // 1e-11 in five runs, while equal paths fail each check about once in 10,000 runs.
    expect(
      mannWhitneyP(
        pairs.map(([knownMs]) => knownMs),
        pairs.map(([, unknownMs]) => unknownMs),
      ),
    ).toBeGreaterThan(1e-4);
    expect(signedRankP(pairs)).toBeGreaterThan(1e-4);
  }, 60_000);
});

describe("forgot password cannot be locked by others (issue 7, finding 6)", () => {
  test("three requests from other IPs, then the victim's own request is 202; no more reset events than the limit allows", async () => {
    const limited = await startTestAuth();
    try {
      const victim = await limited.register();
      for (const ip of ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) expect((await forgot(limited, ip, victim.email)).status).toBe(202);
      const own = await forgot(limited, "203.0.113.9", victim.email);
      expect(own.status).toBe(202);
      expect(own.headers.get("retry-after")).toBeNull();
      await limited.passwordResetsSettled();
      expect(await eventsAbout(limited, "auth.password_reset_requested", victim.user.id)).toHaveLength(3);
    } finally {
      await limited.close();
    }
  });

  test("the caller who floods still gets 429 from its own IP's limit", async () => {
    const limited = await startTestAuth();
    try {
      for (let request = 0; request < 30; request++) expect((await forgot(limited, "198.51.100.77", `someone${request}@example.com`)).status).toBe(202);
      const refused = await forgot(limited, "198.51.100.77", "one-more@example.com");
      expect(refused.status).toBe(429);
      expect(retryAfter(refused)).toBeGreaterThan(0);
      expect((await forgot(limited, "198.51.100.78", "one-more@example.com")).status).toBe(202);
    } finally {
      await limited.close();
    }
  });
});
