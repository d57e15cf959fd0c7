import { asc, inArray } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT, PgTableWithColumns } from "drizzle-orm/pg-core";
import type { Logger } from "pino";
import { uuidv7 } from "uuidv7";
import type { EventBus } from "./bus";
import type { EventDataOf, EventType } from "./catalog";
import { eventData } from "./catalog";

// biome-ignore lint/suspicious/noExplicitAny: any service's outbox table (see outboxTable in @lodge/db)
export type OutboxTable = PgTableWithColumns<any>;
// biome-ignore lint/suspicious/noExplicitAny: works with any schema's database or transaction
type AnyDb = PgDatabase<PgQueryResultHKT, any>;

const BATCH = 100;

/**
 * The transactional outbox: `enqueue` writes an event in the same transaction as the change it
 * describes, and the relay publishes it to the bus afterwards. So an event is published if and
 * only if its change committed, even when Redis is down at that moment (it is sent once Redis is back).
 */
export function createOutbox<Db extends AnyDb>(options: { db: Db; table: OutboxTable; bus: EventBus; logger: Logger; pollMs?: number }) {
  const { db, table, bus, logger } = options;
  type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
  /** Transactions that enqueued an event: only their commit wakes the relay. */
  const enqueuedIn = new WeakSet<object>();
  let running = false;
  let kicked = false;
  let wake: (() => void) | undefined;
  let loopDone: Promise<void> | undefined;

  async function enqueue<T extends EventType>(tx: AnyDb, type: T, data: EventDataOf<T>, requestId?: string) {
    eventData[type].parse(data);
    await tx.insert(table).values({ id: uuidv7(), type, data, requestId: requestId ?? null });
    enqueuedIn.add(tx);
  }

  /**
   * Runs `work` in a transaction; the events it enqueued go out as soon as it has committed rather
   * than at the next poll. One that enqueued nothing (most) costs the relay nothing.
   */
  async function transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    let used: Tx | undefined;
    const result = await db.transaction((tx) => {
      used = tx as Tx;
      return work(tx as Tx);
    });
    if (used && enqueuedIn.has(used)) kick();
    return result;
  }

  /** Publishes everything pending; returns how many were sent. Safe to run from several instances. */
  async function drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const sent = await db.transaction(async (tx) => {
        const rows = await tx.select().from(table).orderBy(asc(table.id)).limit(BATCH).for("update", { skipLocked: true });
        for (const row of rows) {
          await bus.publish(row.type as EventType, row.data as never, {
            id: row.id,
            requestId: row.requestId ?? undefined,
            occurredAt: (row.createdAt as Date).toISOString(),
          });
        }
        if (rows.length > 0)
          await tx.delete(table).where(
            inArray(
              table.id,
              rows.map((row) => row.id as string),
            ),
          );
        return rows.length;
      });
      total += sent;
      if (sent < BATCH) return total;
    }
  }

  /** Starts the relay: drains on every kick and at least every `pollMs`. */
  function start() {
    running = true;
    loopDone = (async () => {
      while (running) {
        kicked = false;
        try {
          await drain();
        } catch (error) {
          logger.warn({ err: error }, "outbox relay failed, will retry");
        }
        // A kick or stop that came during the drain found no waiting timer to cut short: act on it now.
        if (kicked || !running) continue;
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, options.pollMs ?? 1000);
        });
      }
    })();
  }

  /** Call after a transaction that enqueued events commits, so they go out now rather than at the next poll. */
  function kick() {
    kicked = true;
    wake?.();
  }

  async function stop() {
    running = false;
    wake?.();
    await loopDone;
  }

  return { enqueue, transaction, drain, start, kick, stop };
}

export type Outbox<Db extends AnyDb = AnyDb> = ReturnType<typeof createOutbox<Db>>;
