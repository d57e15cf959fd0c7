/**
 * Calls made in one turn of the event loop, sent together: `send` gets their items in order and
 * resolves with one result each (or fails them all). A batch goes out once the turn's I/O is done
 * (setImmediate), as ioredis's auto-pipelining sends commands, so it is ahead of anything a later
 * turn sends. Each ioredis command costs CPU of its own, and a busy gateway makes ten to twenty
 * admissions and as many settles a turn.
 */
export function batchPerTurn<Item, Result>(send: (items: Item[]) => Promise<Result[]>): (item: Item) => Promise<Result> {
  let pending: { items: Item[]; waiting: PromiseWithResolvers<Result>[] } | undefined;
  const flush = async () => {
    const batch = pending;
    pending = undefined;
    if (!batch) return;
    try {
      const results = await send(batch.items);
      for (const [index, call] of batch.waiting.entries()) call.resolve(results[index] as Result);
    } catch (error) {
      for (const call of batch.waiting) call.reject(error);
    }
  };
  return (item) => {
    if (!pending) {
      pending = { items: [], waiting: [] };
      setImmediate(flush);
    }
    pending.items.push(item);
    const call = Promise.withResolvers<Result>();
    pending.waiting.push(call);
    return call.promise;
  };
}
