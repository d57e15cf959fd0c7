import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createLogger, type Redis } from "@lodge/base";
import { createTestRedis, eventually, testRedisUrl } from "@lodge/base/testing";
import { createEventBus, type Envelope, type EventBus, PermanentEventError } from "@lodge/events";

// The operator's command, run as a process against the same Redis the bus uses.
const logger = createLogger({ service: "dead-letters-cli-test", level: "silent" });
const cli = join(import.meta.dir, "../src/cli.ts");

let redis: Redis;
let prefix: string;
let cleanup: () => Promise<void>;
let bus: EventBus;

beforeAll(async () => {
  ({ redis, prefix, cleanup } = await createTestRedis());
  bus = createEventBus({ redis, logger, prefix });
});
afterAll(async () => {
  await bus.close();
  await cleanup();
});

async function run(...args: string[]) {
  const child = Bun.spawn(["bun", cli, ...args], {
    env: { ...process.env, REDIS_URL: testRedisUrl, REDIS_PREFIX: prefix },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { stdout, stderr, code };
}

describe("events:dead-letters", () => {
  test("lists the letters, redrives one by id and the rest with --all, and the fixed events are handled", async () => {
    const handled: string[] = [];
    bus.subscribe({
      group: "user",
      consumer: "c",
      handlers: {
        "user.deletion_requested": async (event) => {
          // The user's row is missing: no retry could help until an operator restores it.
          if (!(await redis.exists(`${prefix}restored:${event.data.userId}`))) throw new PermanentEventError("no such user row");
          handled.push(event.id);
        },
      },
    });
    const events: Envelope<"user.deletion_requested">[] = [];
    for (let index = 0; index < 3; index++) {
      events.push(await bus.publish("user.deletion_requested", { userId: crypto.randomUUID(), requestedAt: new Date().toISOString() }));
    }
    await eventually(async () => (await bus.deadLetters.list()).length === 3);

    const listed = await run("list");
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split("\n");
    expect(lines.at(-1)).toBe("3 dead letter(s)");
    const letters = await bus.deadLetters.list();
    for (const [index, letter] of letters.entries()) {
      expect(lines[index]?.split("  ").slice(0, 4)).toEqual([letter.id, "user", "user.deletion_requested", events[index]?.id as string]);
      expect(lines[index]).toContain("no such user row");
    }
    const json = (await run("list", "--json")).stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(json).toEqual(letters);

    for (const event of events) await redis.set(`${prefix}restored:${event.data.userId}`, "1");
    const one = await run("redrive", letters[0]?.id as string);
    expect(one.stdout.trim()).toBe(`redriven: ${letters[0]?.id}`);
    await eventually(() => handled.includes(events[0]?.id as string));
    expect((await run("redrive", letters[0]?.id as string)).stdout.trim()).toBe(`no dead letter ${letters[0]?.id}`);

    expect((await run("redrive", "--all")).stdout.trim()).toBe("redriven: 2");
    await eventually(() => handled.length === 3);
    expect(handled.sort()).toEqual(events.map((event) => event.id).sort());
    expect((await run("list")).stdout.trim()).toBe("0 dead letter(s)");
  });

  test("discards a letter, and refuses unknown commands with the usage", async () => {
    const raw = "{not json";
    await redis.xadd(
      bus.deadLetterKey,
      "*",
      "stream",
      bus.streamKey("user.deleted"),
      "group",
      "user",
      "entryId",
      "1-0",
      "event",
      raw,
      "error",
      "invalid event",
    );
    const [letter] = await bus.deadLetters.list();
    expect((await run("discard", letter?.id as string)).stdout.trim()).toBe(`discarded: ${letter?.id}`);
    expect(await bus.deadLetters.list()).toEqual([]);
    const unknown = await run("explode");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("usage:");
  });

  test("a letter naming a key outside the event streams is not redriven there", async () => {
    await redis.xadd(bus.deadLetterKey, "*", "stream", `${prefix}sessions:victim`, "group", "user", "entryId", "1-0", "event", "{}", "error", "x");
    const [letter] = await bus.deadLetters.list();
    await expect(bus.deadLetters.redrive(letter?.id as string)).rejects.toThrow("names no event stream");
    expect(await redis.exists(`${prefix}sessions:victim`)).toBe(0);
    await bus.deadLetters.discard(letter?.id as string);
  });
});
