import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiError, connectRedis, createRateLimiter, type Redis, toApiError } from "@lodge/kit";
import { createTestRedis, eventually, testRedisUrl } from "@lodge/kit/testing";

let redis: Redis;
let other: Redis;
let prefix: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ redis, prefix, cleanup } = await createTestRedis());
  // A second connection, as a second instance of the service would have.
  other = await connectRedis(testRedisUrl);
});
afterAll(async () => {
  other.disconnect();
  await cleanup();
});

const limit = { max: 3, windowSeconds: 60 };
const rejection = (promise: Promise<unknown>) => promise.then(() => undefined).catch((error: unknown) => error as ApiError);

describe("createRateLimiter", () => {
  test("the (max+1)th hit is RATE_LIMITED with a Retry-After within the window", async () => {
    const limiter = createRateLimiter({ redis, prefix });
    for (let hit = 0; hit < limit.max; hit++) await limiter.hit("login:ada", limit);
    const error = await rejection(limiter.hit("login:ada", limit));
    expect(error).toBeInstanceOf(ApiError);
    expect(error?.code).toBe("RATE_LIMITED");
    expect(error?.status).toBe(429);
    expect(error?.retryAfter).toBeGreaterThanOrEqual(1);
    expect(error?.retryAfter).toBeLessThanOrEqual(limit.windowSeconds);
    // Still limited on the next hit.
    expect((await rejection(limiter.hit("login:ada", limit)))?.code).toBe("RATE_LIMITED");
  });

  test("hitAll counts every key at once; over any limit is RATE_LIMITED with the longest wait", async () => {
    const limiter = createRateLimiter({ redis, prefix });
    const perMinute = { max: 2, windowSeconds: 60 };
    const perHour = { max: 5, windowSeconds: 3600 };
    for (let hit = 0; hit < perMinute.max; hit++)
      await limiter.hitAll([
        ["all:minute", perMinute],
        ["all:hour", perHour],
      ]);
    const error = await rejection(
      limiter.hitAll([
        ["all:minute", perMinute],
        ["all:hour", perHour],
      ]),
    );
    expect(error?.code).toBe("RATE_LIMITED");
    expect(error?.retryAfter).toBeLessThanOrEqual(perMinute.windowSeconds);
    // Both keys were counted on every call, the refused one included.
    expect(await redis.get(`${prefix}rl:all:minute`)).toBe("3");
    expect(await redis.get(`${prefix}rl:all:hour`)).toBe("3");

    await limiter.hitAll([["all:hour", perHour]]);
    await limiter.hitAll([["all:hour", perHour]]);
    const both = await rejection(
      limiter.hitAll([
        ["all:minute", perMinute],
        ["all:hour", perHour],
      ]),
    );
    expect(both?.retryAfter).toBeGreaterThan(perMinute.windowSeconds);
    expect(both?.retryAfter).toBeLessThanOrEqual(perHour.windowSeconds);
  });

  test("concurrent requests' hits, counted together in one round trip, each get their own answer", async () => {
    const limiter = createRateLimiter({ redis, prefix });
    const perMinute = { max: 3, windowSeconds: 60 };
    // Asked in the same turn: the hits after the first go out as one script run.
    const answers = await Promise.all([
      ...Array.from({ length: 5 }, () => rejection(limiter.hit("send:grace", perMinute))),
      rejection(
        limiter.hitAll([
          ["send:grace", perMinute],
          ["send:linus", perMinute],
        ]),
      ),
      rejection(limiter.hit("send:linus", perMinute)),
    ]);
    expect(answers.map((error) => error?.code ?? "ok")).toEqual(["ok", "ok", "ok", "RATE_LIMITED", "RATE_LIMITED", "RATE_LIMITED", "ok"]);
    expect(Number(await redis.get(`${prefix}rl:send:grace`))).toBe(6);
    expect(Number(await redis.get(`${prefix}rl:send:linus`))).toBe(2);
  });

  test("keys are independent", async () => {
    const limiter = createRateLimiter({ redis, prefix });
    for (let hit = 0; hit < limit.max; hit++) await limiter.hit("ip:203.0.113.1", limit);
    expect(await rejection(limiter.hit("ip:203.0.113.1", limit))).toBeInstanceOf(ApiError);
    expect(await rejection(limiter.hit("ip:203.0.113.2", limit))).toBeUndefined();
  });

  test("keys live under the prefix", async () => {
    const limiter = createRateLimiter({ redis, prefix });
    await limiter.hit("prefixed", limit);
    expect(await redis.get(`${prefix}rl:prefixed`)).toBe("1");
    expect(await redis.pttl(`${prefix}rl:prefixed`)).toBeGreaterThan(0);
  });

  test("reset clears a key", async () => {
    const limiter = createRateLimiter({ redis, prefix });
    for (let hit = 0; hit < limit.max; hit++) await limiter.hit("reset-me", limit);
    expect(await rejection(limiter.hit("reset-me", limit))).toBeInstanceOf(ApiError);
    await limiter.reset("reset-me");
    expect(await rejection(limiter.hit("reset-me", limit))).toBeUndefined();
  });

  test("allows counts like hit but answers instead of throwing", async () => {
    const limiter = createRateLimiter({ redis, prefix });
    const answers = [];
    for (let hit = 0; hit <= limit.max; hit++) answers.push(await limiter.allows("quiet", limit));
    expect(answers).toEqual([true, true, true, false]);
  });

  test("client(ip) is what per-IP keys count: an IPv6 client by its network, the configured prefix long", () => {
    expect(createRateLimiter({ redis, prefix }).client("2001:db8:1:2::7")).toBe("2001:db8:1:2:0:0:0:0/64");
    expect(createRateLimiter({ redis, prefix, ipv6PrefixLength: 56 }).client("2001:db8:1:2::7")).toBe("2001:db8:1:0:0:0:0:0/56");
    expect(createRateLimiter({ redis, prefix }).client("::ffff:192.0.2.1")).toBe("192.0.2.1");
  });

  test("attempt: free attempts, then waits that double up to the cap, on the caller's clock; reset clears it", async () => {
    const limiter = createRateLimiter({ redis, prefix });
    const backoff = { free: 2, baseSeconds: 1, maxSeconds: 5, resetSeconds: 60 };
    let now = Date.parse("2026-01-01T00:00:00Z");
    const at = () => new Date(now);
    expect(await limiter.attempt("acct", backoff, at())).toBe(1);
    expect(await limiter.attempt("acct", backoff, at())).toBe(2);
    const waits = [];
    for (let round = 0; round < 5; round++) {
      // The attempt past the free ones is let through and starts the wait for the next.
      expect(await limiter.attempt("acct", backoff, at())).toBe(3 + round);
      const refused = await rejection(limiter.attempt("acct", backoff, at()));
      expect(refused?.code).toBe("RATE_LIMITED");
      waits.push(refused?.retryAfter);
      now += (refused?.retryAfter ?? 0) * 1000 - 1;
      expect((await rejection(limiter.attempt("acct", backoff, at())))?.code).toBe("RATE_LIMITED");
      now += 1;
    }
    expect(waits).toEqual([1, 2, 4, 5, 5]);
    await limiter.reset("acct");
    expect(await limiter.attempt("acct", backoff, at())).toBe(1);
  });

  test("two instances on the same Redis share the count, atomically", async () => {
    const a = createRateLimiter({ redis, prefix });
    const b = createRateLimiter({ redis: other, prefix });
    const shared = { max: 7, windowSeconds: 60 };
    const results = await Promise.all(Array.from({ length: 40 }, (_, index) => rejection((index % 2 === 0 ? a : b).hit("shared", shared))));
    expect(results.filter((error) => error === undefined)).toHaveLength(shared.max);
    expect(results.filter((error) => error?.code === "RATE_LIMITED")).toHaveLength(40 - shared.max);
  });

  test("a new window starts once the old one expires", async () => {
    const limiter = createRateLimiter({ redis, prefix });
    const short = { max: 1, windowSeconds: 0.3 };
    await limiter.hit("short", short);
    expect(await rejection(limiter.hit("short", short))).toBeInstanceOf(ApiError);
    // Hits while limited do not extend the window: it ends and a hit is allowed again.
    await eventually(async () => (await rejection(limiter.hit("short", short))) === undefined);
  });

  test("Redis down is an error the app answers with 503, not a silent pass", async () => {
    const down = await connectRedis(testRedisUrl);
    const limiter = createRateLimiter({ redis: down, prefix });
    down.disconnect();
    const error = await rejection(limiter.hit("anything", limit));
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(ApiError);
    expect(toApiError(error)).toMatchObject({ code: "UNAVAILABLE", status: 503 });
  });
});
