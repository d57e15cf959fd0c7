/**
 * Work asked for by concurrent requests, coalesced: one statement or one Redis round trip carries
 * many callers' items, and each caller gets its own result.
 *
 * An item goes out at once while fewer than `maxInFlight` batches are out, so under light load
 * nothing waits. Under heavy load the items that arrive while the batches are out queue up, and
 * the next batch carries all of them (up to `maxBatch`, counted with `sizeOf`: a batch always takes
 * at least one item): one round trip, one plan, one socket write serve many requests.
 */
export type BatchOptions<I> = {
  /** Batches out at once (Infinity: every batch goes as soon as it is gathered, in order, never behind another). */
  maxInFlight?: number;
  /**
   * What a batch gathers: the items asked for in one task ("task", the default: sent from a
   * microtask), or in one turn of the event loop ("turn": sent once the turn's I/O callbacks ran,
   * with setImmediate, as ioredis auto-pipelines), which gathers every request handled in that turn.
   */
  gather?: "task" | "turn";
  /** The most a batch carries, counted with `sizeOf` (1 an item by default). */
  maxBatch?: number;
  sizeOf?: (item: I) => number;
  /**
   * When a batch fails with an error this accepts (one the work refused as a whole, having done
   * nothing: a statement Postgres rejected), its items are run again one by one, so one bad item
   * fails only its own caller. Other errors (a connection lost) fail every item of the batch.
   */
  retryAloneWhen?: (error: unknown) => boolean;
};

/**
 * `run` does a batch's items together and returns one result per item, in their order. Returns the
 * function a caller uses for one item.
 */
export function batched<I, O>(run: (items: I[]) => Promise<O[]>, options: BatchOptions<I> = {}): (item: I) => Promise<O> {
  const { maxInFlight = 2, maxBatch = 256, sizeOf = () => 1, retryAloneWhen, gather = "task" } = options;
  type Waiting = { item: I; resolve: (result: O) => void; reject: (error: unknown) => void };
  const waiting: Waiting[] = [];
  let inFlight = 0;
  let scheduled = false;

  const runChecked = async (items: I[]) => {
    const results = await run(items);
    if (results.length !== items.length) throw new Error(`a batch of ${items.length} returned ${results.length} results`);
    return results;
  };

  /** The first items of the queue that fit in one batch (at least one). */
  function take(): Waiting[] {
    let size = 0;
    let count = 0;
    while (count < waiting.length) {
      size += sizeOf((waiting[count] as Waiting).item);
      if (count > 0 && size > maxBatch) break;
      count += 1;
    }
    return waiting.splice(0, count);
  }

  function send() {
    scheduled = false;
    while (inFlight < maxInFlight && waiting.length > 0) void go(take());
  }

  async function go(batch: Waiting[]) {
    inFlight += 1;
    try {
      const results = await runChecked(batch.map((each) => each.item));
      for (const [index, each] of batch.entries()) each.resolve(results[index] as O);
    } catch (error) {
      if (batch.length > 1 && retryAloneWhen?.(error)) {
        await Promise.all(
          batch.map((each) =>
            runChecked([each.item]).then(
              ([result]) => each.resolve(result as O),
              (alone: unknown) => each.reject(alone),
            ),
          ),
        );
      } else for (const each of batch) each.reject(error);
    } finally {
      inFlight -= 1;
      schedule();
    }
  }

  function schedule() {
    if (scheduled || waiting.length === 0 || inFlight >= maxInFlight) return;
    scheduled = true;
    if (gather === "turn") setImmediate(send);
    else queueMicrotask(send);
  }

  return (item) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      schedule();
    });
}

/**
 * Point reads made by concurrent requests, coalesced into one statement per round trip (see
 * `batched`). Every lookup is read from the database after it was asked for, never answered from
 * an earlier read. Equal keys asked together share one read.
 */
export function batchedLookup<K, V>(options: {
  /** Reads every key in one statement; a key missing from the map has no value. */
  load: (keys: K[]) => Promise<Map<K, V>>;
  maxInFlight?: number;
  maxBatch?: number;
}): (key: K) => Promise<V | undefined> {
  const { load, ...batching } = options;
  return batched(async (keys: K[]) => {
    const found = await load([...new Set(keys)]);
    return keys.map((key) => found.get(key));
  }, batching);
}
