/**
 * Point reads made by concurrent requests, coalesced into one statement per round trip.
 *
 * A lookup goes out at once while fewer than `maxInFlight` statements are out, so under light load
 * nothing waits. Under heavy load the lookups that arrive while the statements are out queue up,
 * and the next statement carries all of them (up to `maxBatch`): one round trip, one plan, one
 * socket write serve many requests. Every lookup is read from the database after it was asked for,
 * never answered from an earlier read. Equal keys asked together share one read.
 */
export function batchedLookup<K, V>(options: {
  /** Reads every key in one statement; a key missing from the map has no value. */
  load: (keys: K[]) => Promise<Map<K, V>>;
  maxInFlight?: number;
  maxBatch?: number;
}): (key: K) => Promise<V | undefined> {
  const { load, maxInFlight = 2, maxBatch = 256 } = options;
  type Waiter = { resolve: (value: V | undefined) => void; reject: (error: unknown) => void };
  let waiting = new Map<K, Waiter[]>();
  let inFlight = 0;
  let scheduled = false;

  function send() {
    scheduled = false;
    while (inFlight < maxInFlight && waiting.size > 0) {
      let batch = waiting;
      if (waiting.size > maxBatch) {
        batch = new Map([...waiting].slice(0, maxBatch));
        for (const key of batch.keys()) waiting.delete(key);
      } else waiting = new Map();
      void run(batch);
    }
  }

  async function run(batch: Map<K, Waiter[]>) {
    inFlight += 1;
    try {
      const found = await load([...batch.keys()]);
      for (const [key, waiters] of batch) for (const waiter of waiters) waiter.resolve(found.get(key));
    } catch (error) {
      for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error);
    } finally {
      inFlight -= 1;
      schedule();
    }
  }

  // Sent from a microtask, so the lookups asked for in the same turn of the event loop go together.
  function schedule() {
    if (scheduled || waiting.size === 0 || inFlight >= maxInFlight) return;
    scheduled = true;
    queueMicrotask(send);
  }

  return (key) =>
    new Promise<V | undefined>((resolve, reject) => {
      const waiters = waiting.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else waiting.set(key, [{ resolve, reject }]);
      schedule();
    });
}
