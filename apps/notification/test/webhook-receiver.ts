/** A webhook's receiving end: a local HTTP server that keeps every request and answers as the test says. */
export type ReceivedWebhook = { path: string; headers: Record<string, string>; body: string };

export function startWebhookReceiver() {
  const received: ReceivedWebhook[] = [];
  const answers = new Map<string, (request: ReceivedWebhook) => Response>();
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: async (request) => {
      const webhook = { path: new URL(request.url).pathname, headers: Object.fromEntries(request.headers), body: await request.text() };
      received.push(webhook);
      return answers.get(webhook.path)?.(webhook) ?? new Response("thanks");
    },
  });
  return {
    url: (path = "/hook") => `http://127.0.0.1:${server.port}${path}`,
    port: server.port,
    received,
    /** What it answers at `path` from now on (200 "thanks" by default). */
    answer: (path: string, answer: (request: ReceivedWebhook) => Response) => answers.set(path, answer),
    /** The requests to one path. */
    at: (path: string) => received.filter((request) => request.path === path),
    stop: () => server.stop(true),
  };
}
