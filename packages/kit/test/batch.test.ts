import { describe, expect, test } from "bun:test";
import { batched, batchedLookup } from "@lodge/kit";

/** A load whose statements are held until released, recording the keys each one carried. */
function heldLoad() {
  const statements: { keys: number[]; release: () => void; fail: (error: Error) => void }[] = [];
  const load = (keys: number[]) =>
    new Promise<Map<number, string>>((resolve, reject) => {
      statements.push({
        keys,
        release: () => resolve(new Map(keys.filter((key) => key >= 0).map((key) => [key, `value ${key}`]))),
        fail: reject,
      });
    });
  return { statements, load };
}

const settle = () => Bun.sleep(0);

describe("batchedLookup", () => {
  test("a lookup alone goes at once, in a statement of its own", async () => {
    const { statements, load } = heldLoad();
    const lookup = batchedLookup({ load });
    const answer = lookup(1);
    await settle();
    expect(statements.map((each) => each.keys)).toEqual([[1]]);
    statements[0]?.release();
    expect(await answer).toBe("value 1");
  });

  test("lookups asked in the same turn share one statement; equal keys share one read", async () => {
    const { statements, load } = heldLoad();
    const lookup = batchedLookup({ load });
    const answers = [lookup(1), lookup(2), lookup(2), lookup(3)];
    await settle();
    expect(statements.map((each) => each.keys)).toEqual([[1, 2, 3]]);
    statements[0]?.release();
    expect(await Promise.all(answers)).toEqual(["value 1", "value 2", "value 2", "value 3"]);
  });

  test("while maxInFlight statements are out, new lookups wait and then go together", async () => {
    const { statements, load } = heldLoad();
    const lookup = batchedLookup({ load, maxInFlight: 2 });
    const first = lookup(1);
    await settle();
    const second = lookup(2);
    await settle();
    const waiting = [lookup(3), lookup(4), lookup(5)];
    await settle();
    expect(statements.map((each) => each.keys)).toEqual([[1], [2]]);

    statements[1]?.release();
    expect(await second).toBe("value 2");
    await settle();
    expect(statements.map((each) => each.keys)).toEqual([[1], [2], [3, 4, 5]]);
    statements[0]?.release();
    statements[2]?.release();
    expect(await first).toBe("value 1");
    expect(await Promise.all(waiting)).toEqual(["value 3", "value 4", "value 5"]);
  });

  test("a statement carries at most maxBatch keys", async () => {
    const { statements, load } = heldLoad();
    const lookup = batchedLookup({ load, maxInFlight: 1, maxBatch: 2 });
    const answers = [1, 2, 3, 4, 5].map((key) => lookup(key));
    await settle();
    for (let released = 0; released < 3; released++) {
      statements[released]?.release();
      await settle();
    }
    expect(statements.map((each) => each.keys)).toEqual([[1, 2], [3, 4], [5]]);
    expect(await Promise.all(answers)).toEqual(["value 1", "value 2", "value 3", "value 4", "value 5"]);
  });

  test("a key the statement did not find is undefined", async () => {
    const { statements, load } = heldLoad();
    const lookup = batchedLookup({ load });
    const answers = [lookup(7), lookup(-1)];
    await settle();
    statements[0]?.release();
    expect(await Promise.all(answers)).toEqual(["value 7", undefined]);
  });

  test("a failed statement fails every lookup it carried, and the next ones go out again", async () => {
    const { statements, load } = heldLoad();
    const lookup = batchedLookup({ load, maxInFlight: 1 });
    const failing = [lookup(1), lookup(2)].map((answer) => answer.then(String, (error: Error) => error.message));
    await settle();
    const after = lookup(3);
    await settle();
    statements[0]?.fail(new Error("connection lost"));
    expect(await Promise.all(failing)).toEqual(["connection lost", "connection lost"]);
    await settle();
    expect(statements.map((each) => each.keys)).toEqual([[1, 2], [3]]);
    statements[1]?.release();
    expect(await after).toBe("value 3");
  });

  test("a load that throws synchronously fails its lookups instead of escaping", async () => {
    const lookup = batchedLookup<number, string>({
      load: () => {
        throw new Error("bad statement");
      },
    });
    await expect(lookup(1)).rejects.toThrow("bad statement");
  });
});

/** A run whose batches are held until released, recording the items each one carried; item "bad" makes a batch refuse. */
function heldRun() {
  const batches: { items: string[]; release: () => void }[] = [];
  const run = (items: string[]) =>
    new Promise<string[]>((resolve, reject) => {
      batches.push({
        items,
        release: () => (items.includes("bad") ? reject(new RefusedBatch()) : resolve(items.map((item) => `done ${item}`))),
      });
    });
  return { batches, run };
}

class RefusedBatch extends Error {}

describe("batched", () => {
  test("each caller gets its own result, from one run for the items asked together", async () => {
    const { batches, run } = heldRun();
    const work = batched(run);
    const answers = ["a", "b", "a"].map((item) => work(item));
    await settle();
    expect(batches.map((each) => each.items)).toEqual([["a", "b", "a"]]);
    batches[0]?.release();
    expect(await Promise.all(answers)).toEqual(["done a", "done b", "done a"]);
  });

  test("a batch holds at most maxBatch, counted with sizeOf, and always at least one item", async () => {
    const { batches, run } = heldRun();
    const work = batched(run, { maxInFlight: 1, maxBatch: 4, sizeOf: (item) => item.length });
    const answers = ["aa", "bb", "c", "dddddd", "e"].map((item) => work(item));
    await settle();
    for (let released = 0; released < 4; released++) {
      batches[released]?.release();
      await settle();
    }
    expect(await Promise.all(answers)).toEqual(["done aa", "done bb", "done c", "done dddddd", "done e"]);
    expect(batches.map((each) => each.items)).toEqual([["aa", "bb"], ["c"], ["dddddd"], ["e"]]);
  });

  test("a refused batch is run again item by item when retryAloneWhen accepts its error: only the bad item fails", async () => {
    const { batches, run } = heldRun();
    const work = batched(run, { retryAloneWhen: (error) => error instanceof RefusedBatch });
    const answers = ["a", "bad", "b"].map((item) => work(item).catch((error: unknown) => (error instanceof RefusedBatch ? "refused" : "other")));
    await settle();
    batches[0]?.release();
    await settle();
    expect(batches.map((each) => each.items)).toEqual([["a", "bad", "b"], ["a"], ["bad"], ["b"]]);
    for (const each of batches.slice(1)) each.release();
    expect(await Promise.all(answers)).toEqual(["done a", "refused", "done b"]);
  });

  test("without retryAloneWhen (or for another error) a failed batch fails every item it carried", async () => {
    const { batches, run } = heldRun();
    const work = batched(run, { retryAloneWhen: (error) => error instanceof TypeError });
    const answers = ["a", "bad"].map((item) => work(item).then(String, (error: unknown) => (error instanceof RefusedBatch ? "refused" : "other")));
    await settle();
    batches[0]?.release();
    expect(await Promise.all(answers)).toEqual(["refused", "refused"]);
    expect(batches).toHaveLength(1);
  });

  test("a run that returns a result per item fewer is an error, not a caller left unresolved", async () => {
    const work = batched(async (items: number[]) => items.slice(1));
    await expect(work(1)).rejects.toThrow("a batch of 1 returned 0 results");
  });

  test("gather: turn sends the items of every callback of one turn of the event loop together; task, each callback's", async () => {
    const askedInTwoCallbacks = async (gather: "task" | "turn") => {
      const sent: string[][] = [];
      const work = batched(
        async (items: string[]) => {
          sent.push(items);
          return items;
        },
        { gather, maxInFlight: Number.POSITIVE_INFINITY },
      );
      // Two I/O-like callbacks of the same turn, each asking for items.
      const answers = await new Promise<Promise<string>[]>((resolve) => {
        const asked: Promise<string>[] = [];
        setImmediate(() => asked.push(work("a"), work("b")));
        setImmediate(() => {
          asked.push(work("c"));
          resolve(asked);
        });
      });
      expect(await Promise.all(answers)).toEqual(["a", "b", "c"]);
      return sent;
    };
    expect(await askedInTwoCallbacks("turn")).toEqual([["a", "b", "c"]]);
    expect(await askedInTwoCallbacks("task")).toEqual([["a", "b"], ["c"]]);
  });
});
