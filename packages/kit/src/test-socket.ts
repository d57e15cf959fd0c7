import { eventually } from "@lodge/base/testing";

/** A socket's close as its client saw it. */
export type SocketClose = { code: number; reason: string };

/**
 * A real WebSocket client (Bun's) for tests: every JSON message it receives is kept in order, and
 * a test waits for one (`next`), sends, or waits for the close and its code.
 */
export async function openTestSocket(url: string) {
  const socket = new WebSocket(url);
  // biome-ignore lint/suspicious/noExplicitAny: messages are inspected field by field
  const messages: any[] = [];
  let taken = 0;
  const closed = new Promise<SocketClose>((resolve) => socket.addEventListener("close", (event) => resolve({ code: event.code, reason: event.reason })));
  socket.addEventListener("message", (event) => messages.push(JSON.parse(String(event.data))));
  const opened = await Promise.race([new Promise<true>((resolve) => socket.addEventListener("open", () => resolve(true))), closed.then((close) => close)]);
  if (opened !== true) throw new Error(`the socket did not open (closed with ${opened.code})`);
  return {
    socket,
    messages,
    closed,
    send: (message: unknown) => socket.send(typeof message === "string" ? message : JSON.stringify(message)),
    /** The next message not yet taken that `matches` (skipping others), once it has arrived. */
    // biome-ignore lint/suspicious/noExplicitAny: messages are inspected field by field
    async next(matches: (message: any) => boolean = () => true) {
      const index = await eventually(() => {
        const found = messages.findIndex((message, at) => at >= taken && matches(message));
        return found >= 0 ? found + 1 : 0;
      });
      taken = index;
      return messages[index - 1];
    },
    close: () => socket.close(),
  };
}

export type TestSocket = Awaited<ReturnType<typeof openTestSocket>>;
