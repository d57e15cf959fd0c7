export type PacedUpstream = ReturnType<typeof startPacedUpstream>;

const encoder = new TextEncoder();

/**
 * A pass-through in front of an HTTP server (the fake OpenAI upstream) whose streamed answers
 * (server-sent events) a test can hold and let through one event at a time, to see what the bot
 * does between two chunks: `hold()`, then `release(n)` for the next n events, `flow()` to let
 * everything go again. Everything else passes unchanged.
 */
export function startPacedUpstream(target: string) {
  const origin = new URL(target).origin;
  let held = false;
  let allowed = 0;
  const waiting: (() => void)[] = [];
  const turn = (): Promise<void> => {
    if (!held) return Promise.resolve();
    if (allowed > 0) {
      allowed -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => waiting.push(resolve));
  };

  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(request) {
      const url = new URL(request.url);
      const headers = new Headers(request.headers);
      headers.delete("host");
      const answer = await fetch(`${origin}${url.pathname}${url.search}`, {
        method: request.method,
        headers,
        body: request.method === "GET" ? undefined : await request.arrayBuffer(),
        signal: request.signal,
      });
      if (!answer.body || !answer.headers.get("content-type")?.includes("text/event-stream")) return answer;
      const events = eventsOf(answer.body);
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = await events.next();
          if (next.done) return controller.close();
          await turn();
          controller.enqueue(encoder.encode(next.value));
        },
        async cancel() {
          await events.return(undefined);
        },
      });
      return new Response(stream, { status: answer.status, headers: answer.headers });
    },
  });

  return {
    /** The base URL to use instead of the target's (same path). */
    url: `http://127.0.0.1:${server.port}${new URL(target).pathname}`,
    /** From now on, events wait to be released. */
    hold: () => {
      held = true;
      allowed = 0;
    },
    /** Lets the next `count` events through. */
    release: (count: number) => {
      allowed += count;
      while (allowed > 0 && waiting.length > 0) {
        allowed -= 1;
        waiting.shift()?.();
      }
    },
    /** Lets every event through, now and later. */
    flow: () => {
      held = false;
      for (const resume of waiting.splice(0)) resume();
    },
    stop: () => server.stop(true),
  };
}

/** A body of server-sent events, one event (with its blank line) at a time, however the bytes were cut. */
async function* eventsOf(body: ReadableStream<Uint8Array>) {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const bytes of body) {
    buffered += decoder.decode(bytes, { stream: true });
    for (let end = buffered.indexOf("\n\n"); end !== -1; end = buffered.indexOf("\n\n")) {
      yield buffered.slice(0, end + 2);
      buffered = buffered.slice(end + 2);
    }
  }
  if (buffered) yield buffered;
}
