import { hostname } from "node:os";
import type { Logger, Metrics, Redis } from "@lodge/kit";
import type { Update } from "grammy/types";
import type { Telegram } from "../bot/telegram";
import type { BotEnv } from "../env";
import { createLeases } from "./lease";
import { registerQueueGauges, typeLabel, updateMetrics } from "./metrics";
import { startPolling } from "./polling";
import { createUpdateQueue } from "./queue";
import { isHandledType, updateTypeOf } from "./routing";
import { startUpdateWorkers } from "./workers";

export { handledUpdateTypes } from "./routing";

type PipelineDeps = { env: BotEnv; redis: Redis; redisPrefix: string; logger: Logger; clock: () => Date; metrics: Metrics };

/**
 * The bot's update pipeline: updates in (the webhook route calls `accept`; without BOT_WEBHOOK_URL
 * the poller does), a durable queue in Redis, and this instance's workers running them through
 * the bot, in order per chat. `stop()` ends polling first, then lets running updates finish.
 */
export function startUpdatePipeline(deps: PipelineDeps, telegram: Telegram) {
  const { env, logger } = deps;
  const queue = createUpdateQueue({ redis: deps.redis, prefix: deps.redisPrefix, shards: env.BOT_QUEUE_SHARDS });
  const metrics = updateMetrics(deps.metrics.registry);
  registerQueueGauges(deps.metrics.registry, queue, logger);
  const leases = createLeases({
    redis: deps.redis,
    keyOf: queue.keys.lease,
    owner: `${hostname()}-${process.pid}-${crypto.randomUUID().slice(0, 8)}`,
    ttlMs: env.BOT_QUEUE_LEASE_MS,
  });

  /** Queues an update once (an id seen before is a duplicate); a type the bot does not handle is logged and dropped. */
  const accept = async (update: Update): Promise<"queued" | "duplicate" | "ignored"> => {
    const type = updateTypeOf(update);
    if (!isHandledType(type)) {
      metrics.received.inc({ type: typeLabel(type), outcome: "ignored" });
      logger.info({ updateId: update.update_id, type }, "an update of a type the bot does not handle: dropped");
      return "ignored";
    }
    const outcome = await queue.enqueue(update, deps.clock());
    metrics.received.inc({ type, outcome });
    return outcome;
  };

  const workers = startUpdateWorkers({
    queue,
    redis: deps.redis,
    logger: logger.child({ part: "updates" }),
    clock: deps.clock,
    metrics,
    leases,
    handle: telegram.handle,
    ready: telegram.ready,
  });
  const polling = env.BOT_WEBHOOK_URL ? undefined : startPolling({ api: telegram.bot.api, accept, leases, logger: logger.child({ part: "polling" }) });

  return {
    mode: polling ? ("polling" as const) : ("webhook" as const),
    accept,
    queue,
    workers,
    async stop() {
      await polling?.stop();
      await workers.stop();
    },
  };
}

export type UpdatePipeline = ReturnType<typeof startUpdatePipeline>;
