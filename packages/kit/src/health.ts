import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Metrics } from "./metrics";
import type { AppEnv } from "./types";

export type Check = () => Promise<unknown>;

/**
 * /health: the process is alive. /ready: every dependency answers (and we are not draining),
 * so a load balancer stops sending traffic before shutdown. /metrics: Prometheus.
 * These live on the service's own port and are never routed publicly.
 */
export function mountOperations(app: OpenAPIHono<AppEnv>, options: { metrics: Metrics; checks: Record<string, Check>; isDraining?: () => boolean }) {
  app.get("/health", (c) => c.json({ status: "ok" }));
  app.get("/ready", async (c) => {
    const results = await Promise.all(
      Object.entries(options.checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), 2000);
          return [name, "ok"] as const;
        } catch {
          return [name, "down"] as const;
        }
      }),
    );
    const checks = Object.fromEntries(results);
    const draining = options.isDraining?.() ?? false;
    const ready = !draining && results.every(([, state]) => state === "ok");
    if (!ready) c.header("Retry-After", "5");
    return c.json({ status: ready ? "ok" : draining ? "draining" : "unavailable", checks }, ready ? 200 : 503);
  });
  app.get("/metrics", async (c) => c.text(await options.metrics.registry.metrics(), 200, { "Content-Type": options.metrics.registry.contentType }));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error("timeout")), ms))]);
}
