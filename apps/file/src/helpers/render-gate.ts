import { ApiError, Counter, Gauge, type Metrics } from "@lodge/kit";
import type { CachedVariant } from "./caches";

export type RenderGate = ReturnType<typeof createRenderGate>;

/** A variant, and (when it was rendered just now) the promise of its being stored. */
export type Rendered = CachedVariant & { persisted?: Promise<void> };

/**
 * Bounds the CPU spent on image renderings, built once at boot (in deps): at most `concurrency` run
 * at once, at most `queue` wait for a slot, and past that a rendering is refused at once with 503 +
 * Retry-After instead of piling up. It also holds the renderings in flight, so that concurrent
 * requests for one variant share one rendering. Its state is exported as gauges and a counter.
 */
export function createRenderGate(options: { concurrency: number; queue: number; metrics: Metrics }) {
  let active = 0;
  let peak = 0;
  const waiting: (() => void)[] = [];
  const inflight = new Map<string, Promise<Rendered>>();
  const { registry } = options.metrics;
  new Gauge({
    name: "file_variant_renders_active",
    help: "Image variants being rendered now",
    registers: [registry],
    collect() {
      this.set(active);
    },
  });
  new Gauge({
    name: "file_variant_renders_queued",
    help: "Image variant renderings waiting for a slot",
    registers: [registry],
    collect() {
      this.set(waiting.length);
    },
  });
  const outcomes = new Counter({
    name: "file_variant_renders_total",
    help: "Image variant renderings: started, or refused (queue full, rate limited)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const counts = { started: 0, queueFull: 0, rateLimited: 0 };

  /** Runs `render` within the bound; throws UNAVAILABLE (503, Retry-After) when the queue is full. */
  async function run<T>(render: () => Promise<T>): Promise<T> {
    if (active < options.concurrency) {
      active += 1;
    } else if (waiting.length < options.queue) {
      // A finishing rendering hands its slot over (active stays counted).
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      counts.queueFull += 1;
      outcomes.inc({ outcome: "queue_full" });
      throw new ApiError({ code: "UNAVAILABLE", message: "Too many images are being rendered, try again shortly", retryAfter: 2 });
    }
    peak = Math.max(peak, active);
    counts.started += 1;
    outcomes.inc({ outcome: "started" });
    try {
      return await render();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active -= 1;
    }
  }

  return {
    run,
    inflight,
    /** Counts a rendering the rate limits refused (they are checked before the gate). */
    rateLimited: () => {
      counts.rateLimited += 1;
      outcomes.inc({ outcome: "rate_limited" });
    },
    /** Now and since boot: what the gauges and counter report, plus the most ever run at once. */
    stats: () => ({ active, queued: waiting.length, peak, ...counts }),
  };
}
