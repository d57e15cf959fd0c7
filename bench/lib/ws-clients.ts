/**
 * WebSocket clients for bench/notification.ts, in a process of their own (so the service's memory
 * is measured alone, and 10,000 sockets fit each process's open-file limit). Driven over IPC:
 *   { cmd: "connect", urls }   opens one socket per URL (a ticket each), sends `resume`, answers
 *                              { connected } once every socket has its first unread_count;
 *   { cmd: "reset" }           forgets the latencies recorded so far;
 *   { cmd: "report" }          answers { received, p50Ms, p99Ms, lastAt } over what arrived since the reset;
 *   { cmd: "close" }           closes every socket, answers { closed }.
 * A message's latency is its arrival time minus the `sentAt` it carries (wall milliseconds with
 * sub-millisecond precision, `performance.timeOrigin + performance.now()`, the same clock in both
 * processes): `data.sentAt` for a broadcast, the title `bench <sentAt>` for a notification.
 */
type Command = { cmd: "connect"; urls: string[] } | { cmd: "reset" } | { cmd: "report" } | { cmd: "close" };

const now = () => performance.timeOrigin + performance.now();
const sockets: WebSocket[] = [];
let latencies: number[] = [];
let lastAt = 0;

function record(text: string) {
  const message = JSON.parse(text) as { type: string; data?: { sentAt?: number }; notification?: { title: string } };
  const sentAt = message.data?.sentAt ?? (message.type === "notification.created" ? Number(message.notification?.title.split(" ")[1]) : undefined);
  if (sentAt === undefined || !Number.isFinite(sentAt)) return;
  lastAt = now();
  latencies.push(lastAt - sentAt);
}

function percentile(sorted: number[], p: number) {
  return sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number);
}

/** Opens one socket and resolves once its first unread_count (the answer to `resume`) is in. */
function open(url: string) {
  return new Promise<void>((resolve, reject) => {
    const socket = new WebSocket(url);
    let ready = false;
    socket.onopen = () => socket.send(JSON.stringify({ type: "resume" }));
    socket.onmessage = (event) => {
      if (!ready) {
        ready = true;
        sockets.push(socket);
        return resolve();
      }
      record(String(event.data));
    };
    socket.onclose = (event) => {
      if (!ready) reject(new Error(`socket closed before it was ready: ${event.code} ${event.reason}`));
    };
  });
}

async function connect(urls: string[]) {
  // A few hundred handshakes at a time: the accept queue is finite.
  for (let index = 0; index < urls.length; index += 200) await Promise.all(urls.slice(index, index + 200).map(open));
  return { connected: sockets.length };
}

async function close() {
  const closed = sockets.map((socket) => new Promise((resolve) => socket.addEventListener("close", resolve)));
  for (const socket of sockets) socket.close();
  await Promise.all(closed);
  sockets.length = 0;
  return { closed: closed.length };
}

process.on("message", async (command: Command) => {
  try {
    if (command.cmd === "connect") process.send?.(await connect(command.urls));
    else if (command.cmd === "close") process.send?.(await close());
    else if (command.cmd === "reset") {
      latencies = [];
      lastAt = 0;
      process.send?.({ reset: true });
    } else {
      const sorted = [...latencies].sort((a, b) => a - b);
      process.send?.({ received: sorted.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), lastAt });
    }
  } catch (error) {
    process.send?.({ error: (error as Error).message });
  }
});
process.send?.({ started: true });
