const DRAIN_BYTES = 8 * 1024 * 1024;

/**
 * A pass-through of an upload body that, once the upload is refused early (413, 415, 422), reads
 * and discards up to `maxBytes` more of it before the answer goes out: a client still sending then
 * receives that answer rather than a connection reset. Past `maxBytes` the connection is dropped.
 * Cancelling the stream drains it too.
 */
export function drainable(source: ReadableStream<Uint8Array>, maxBytes = DRAIN_BYTES) {
  const reader = source.getReader();
  let draining: Promise<void> | undefined;
  const drain = () => {
    draining ??= (async () => {
      try {
        for (let drained = 0; drained < maxBytes; ) {
          const { done, value } = await reader.read();
          if (done) return;
          drained += value.length;
        }
        await reader.cancel();
      } catch {}
    })();
    return draining;
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: drain,
    },
    { highWaterMark: 0 },
  );
  return { stream, drain };
}
