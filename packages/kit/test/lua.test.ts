import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { luaScript, type Redis } from "@lodge/kit";
import { createTestRedis } from "@lodge/kit/testing";

let redis: Redis;
let testRedis: Awaited<ReturnType<typeof createTestRedis>>;

beforeAll(async () => {
  testRedis = await createTestRedis();
  redis = testRedis.redis;
});

afterAll(() => testRedis.cleanup());

describe("luaScript", () => {
  for (const sentAtOnce of [false, true]) {
    test(`${sentAtOnce ? "sent at once" : "auto-pipelined"}: the first call sends the source, later ones the SHA, each with the script's reply`, async () => {
      // A source this server has never seen (its SHA unknown), replying with text, numbers, nil and nested arrays.
      const script = luaScript(
        `-- ${crypto.randomUUID()}
redis.call('INCRBY', KEYS[1], ARGV[1])
return {redis.call('GET', KEYS[1]), tonumber(ARGV[1]), false, {ARGV[2], 'ok'}}`,
        { sentAtOnce },
      );
      const key = `${testRedis.prefix}lua:${sentAtOnce}`;
      expect(await script(redis, [key], [2, "ünïcode"])).toEqual(["2", 2, null, ["ünïcode", "ok"]]);
      expect(await script(redis, [key], [3, "again"])).toEqual(["5", 3, null, ["again", "ok"]]);
    });
  }

  test("sent at once: a script's error fails its call", async () => {
    const script = luaScript("return redis.error_reply('REFUSED by the script')", { sentAtOnce: true });
    await expect(script(redis, [], [])).rejects.toThrow("REFUSED by the script");
  });
});
