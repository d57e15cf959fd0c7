/**
 * What deploy/rollout.sh relies on: two auth instances behind the production Caddyfile, each
 * restarted in turn (SIGTERM, drain, new process) while clients keep calling. Caddy's health check
 * on /ready and its retries must hide every restart: no 502/503, no connection errors.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { call, type Stack, startStack } from "./stack";

let stack: Stack;
beforeAll(async () => {
  // production: the 3s drain delay after SIGTERM, during which /ready says 503 but requests are still served.
  stack = await startStack({ instances: 2, env: { NODE_ENV: "production" } });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

test("restarting each instance in turn drops no request", async () => {
  const outcomes: (number | string)[] = [];
  let rolling = true;
  const client = async (kind: "read" | "write") => {
    while (rolling) {
      const reply =
        kind === "read"
          ? call(stack.url, "GET", "/.well-known/jwks.json")
          : call(stack.url, "POST", "/auth/refresh", { body: { refreshToken: "not-a-token" } });
      outcomes.push(
        await reply.then(
          (response) => (response.status === 200 || response.status === 401 ? response.status : `${response.status} ${response.text}`),
          (error: Error) => error.message,
        ),
      );
      await Bun.sleep(20); // pacing, to keep the load light on small machines
    }
  };
  const clients = [client("read"), client("write"), client("read")];

  for (const index of [0, 1]) {
    const { code, output } = await stack.restart(index);
    expect(code).toBe(0);
    expect(output).toContain('"msg":"stopped"');
  }
  rolling = false;
  await Promise.all(clients);

  expect(outcomes.length).toBeGreaterThan(20);
  const unexpected = outcomes.filter((outcome) => outcome !== 200 && outcome !== 401);
  expect(unexpected).toEqual([]);
}, 60_000);
