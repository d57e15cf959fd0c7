import { createRunner, createSource, createUpdateFetcher, type UpdateSink } from "@grammyjs/runner";
import { createStopSignal } from "@lodge/events";
import type { Logger } from "@lodge/kit";
import { type Api, GrammyError } from "grammy";
import type { Update } from "grammy/types";
import type { Leases } from "./lease";
import { handledUpdateTypes } from "./routing";

/** Telegram holds a getUpdates call this long (seconds) when it has nothing. */
const LONG_POLL_SECONDS = 30;
const POLLER_LEASE = "poller";

/**
 * Long polling (development, or any deployment without BOT_WEBHOOK_URL): grammY's runner fetches
 * updates and hands each batch to `accept` (the same queue the webhook feeds), one instance at a
 * time (a lease, so two instances never fight over getUpdates). The runner confirms a batch to
 * Telegram (the next call's offset) only once `accept` has queued all of it; while Redis is down,
 * `accept` is retried and nothing more is fetched, so an update Telegram handed over is never lost:
 * at worst it is fetched again after a restart and queued once (the queue's dedupe).
 */
export function startPolling(options: { api: Api; accept: (update: Update) => Promise<unknown>; leases: Leases; logger: Logger }) {
  const { api, leases, logger } = options;
  const stopped = createStopSignal();
  let running = true;
  let runner: ReturnType<typeof createRunner> | undefined;
  const sleep = (ms: number) => stopped.until(Bun.sleep(ms), () => undefined);

  const acceptDurably = async (update: Update) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await options.accept(update);
        return;
      } catch (error) {
        // Not confirmed to Telegram: it keeps the update, the next poller fetches it again.
        if (!running) throw error;
        logger.warn({ err: error, updateId: update.update_id, attempt }, "queueing a polled update failed, retrying");
        await sleep(Math.min(5000, 250 * attempt));
      }
    }
  };
  const sink: UpdateSink<Update> = {
    handle: async (updates) => {
      for (const update of updates) await acceptDurably(update);
      return 100;
    },
    size: () => 0,
    snapshot: () => [],
  };
  const fetcher = {
    api: {
      // grammY and the runner type signals with their Node shim; at run time it is the platform's.
      getUpdates: (args: { offset: number; limit: number; timeout: number }, signal: AbortSignal) =>
        api.getUpdates({ ...args, allowed_updates: [...handledUpdateTypes] }, signal as never).catch((error: unknown) => {
          if (!signal.aborted) logger.warn({ err: error }, "getUpdates failed, retrying");
          throw error;
        }),
    },
  };

  /** One run of the runner while this instance holds the poller's lease; resolves when it ends. */
  const poll = async () => {
    const fetchUpdates = createUpdateFetcher(fetcher as never, { fetch: { timeout: LONG_POLL_SECONDS }, retryInterval: 1000, silent: true });
    runner = createRunner(createSource<Update>({ supply: fetchUpdates as never }), sink);
    runner.start();
    const task = runner.task();
    let crashed: unknown;
    void task?.catch((error) => {
      crashed = error ?? new Error("the runner stopped");
    });
    while (running && runner.isRunning()) {
      await sleep(leases.ttlMs / 3);
      if (!running || !runner.isRunning()) break;
      const kept = await leases.renew(POLLER_LEASE).catch(() => true);
      if (!kept) {
        logger.warn("lost the poller's lease: another instance polls Telegram now");
        break;
      }
    }
    await runner.stop()?.catch(() => undefined);
    if (crashed) reportCrash(crashed, logger);
  };

  const loop = async () => {
    while (running) {
      const mine = await leases.acquire(POLLER_LEASE).catch(() => false);
      if (!mine) {
        await sleep(leases.ttlMs / 3);
        continue;
      }
      logger.info("polling Telegram for updates (BOT_WEBHOOK_URL is unset)");
      await poll();
      await leases.release(POLLER_LEASE).catch(() => undefined);
      // After a crash (a webhook set, a revoked token), not at once again.
      if (running) await sleep(5000);
    }
  };
  const done = loop();

  return {
    /** Stops fetching (an open long poll is cut) once the batch being queued is in Redis. */
    async stop() {
      running = false;
      stopped.fire();
      await runner?.stop()?.catch(() => undefined);
      await done;
    },
  };
}

function reportCrash(error: unknown, logger: Logger) {
  if (error instanceof GrammyError && error.error_code === 409) {
    logger.error("Telegram refuses getUpdates while a webhook is set: delete it (`bun run --cwd apps/bot webhook:delete`) to poll, or set BOT_WEBHOOK_URL");
  } else if (error instanceof GrammyError && error.error_code === 401) {
    logger.error("Telegram refuses the bot token (401): check TELEGRAM_BOT_TOKEN");
  } else {
    logger.error({ err: error }, "polling Telegram stopped, starting again");
  }
}
