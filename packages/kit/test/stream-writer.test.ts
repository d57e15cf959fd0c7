import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger, createStreamWriter, entryField, type Redis, type StreamEntry } from "@lodge/kit";
import { createTestRedis, eventually } from "@lodge/kit/testing";

let redis: Redis;
let prefix: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ redis, prefix, cleanup } = await createTestRedis());
});
afterAll(() => cleanup());

const logger = createLogger({ service: "test", level: "silent" });
let streams = 0;
const newStream = () => `${prefix}stream-${++streams}`;
const valuesOf = (entries: StreamEntry[]) => entries.map((entry) => entryField(entry, "v"));

describe("the stream writer", () => {
  test("writes what is queued in batches, then acknowledges and deletes it", async () => {
    const stream = newStream();
    for (let index = 0; index < 5; index++) await redis.xadd(stream, "*", "v", String(index));
    const batches: (string | undefined)[][] = [];
    const writer = createStreamWriter({
      redis,
      logger,
      stream,
      group: "g",
      batchSize: 2,
      lingerMs: 0,
      write: async (entries) => void batches.push(valuesOf(entries)),
    });
    writer.start();
    try {
      await eventually(async () => batches.flat().length === 5 && (await redis.xlen(stream)) === 0);
    } finally {
      await writer.stop();
    }
    expect(batches.flat()).toEqual(["0", "1", "2", "3", "4"]);
    expect(Math.max(...batches.map((batch) => batch.length))).toBe(2);
    expect(((await redis.xpending(stream, "g")) as [number])[0]).toBe(0);
  });

  test("a failed write keeps its entries pending and writes them again, nothing lost", async () => {
    const stream = newStream();
    await redis.xadd(stream, "*", "v", "a");
    let attempts = 0;
    const written: (string | undefined)[] = [];
    const writer = createStreamWriter({
      redis,
      logger,
      stream,
      group: "g",
      lingerMs: 0,
      write: async (entries) => {
        if (++attempts === 1) throw new Error("store down");
        written.push(...valuesOf(entries));
      },
    });
    writer.start();
    try {
      await eventually(async () => written.length === 1 && (await redis.xlen(stream)) === 0);
    } finally {
      await writer.stop();
    }
    expect(written).toEqual(["a"]);
  });

  test("entries read by a writer that died are taken over once idle for claimIdleMs", async () => {
    const stream = newStream();
    await redis.xgroup("CREATE", stream, "g", "0", "MKSTREAM");
    await redis.xadd(stream, "*", "v", "x");
    await redis.xadd(stream, "*", "v", "y");
    // A writer reads them and dies before writing them: pending, owned by it.
    await redis.xreadgroup("GROUP", "g", "dead", "COUNT", 10, "STREAMS", stream, ">");
    const written: (string | undefined)[] = [];
    const writer = createStreamWriter({
      redis,
      logger,
      stream,
      group: "g",
      claimIdleMs: 1,
      lingerMs: 0,
      write: async (entries) => void written.push(...valuesOf(entries)),
    });
    writer.start();
    try {
      await eventually(async () => written.length === 2 && (await redis.xlen(stream)) === 0);
    } finally {
      await writer.stop();
    }
    expect(written.sort()).toEqual(["x", "y"]);
  });

  test("buffers: values come as the bytes queued, not decoded (also when taken over), ids as text", async () => {
    const stream = newStream();
    const bytes = Buffer.from([0x61, 0xff, 0x00, 0x0a, 0xc3]); // not UTF-8: decoding would change them
    await redis.xgroup("CREATE", stream, "g", "0", "MKSTREAM");
    const first = await redis.xadd(stream, "*", "v", bytes);
    await redis.xreadgroup("GROUP", "g", "dead", "COUNT", 10, "STREAMS", stream, ">");
    const second = await redis.xadd(stream, "*", "v", Buffer.from("text"));
    const written: [string, Buffer | undefined][] = [];
    const writer = createStreamWriter<Buffer>({
      redis,
      logger,
      stream,
      group: "g",
      buffers: true,
      claimIdleMs: 1,
      lingerMs: 0,
      write: async (entries) => void written.push(...entries.map((entry): [string, Buffer | undefined] => [entry[0], entryField(entry, "v")])),
    });
    writer.start();
    try {
      await eventually(async () => written.length === 2 && (await redis.xlen(stream)) === 0);
    } finally {
      await writer.stop();
    }
    expect(written.toSorted(([a], [b]) => a.localeCompare(b))).toEqual([
      [first as string, bytes],
      [second as string, Buffer.from("text")],
    ]);
  });
});
