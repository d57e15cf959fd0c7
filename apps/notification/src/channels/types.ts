import type { deliveries, notifications } from "@lodge/db/schema";
import { inArray } from "drizzle-orm";
import type { AnyPgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Rendered, SendChannel } from "../catalog/index";

/** What a channel sends: every part of a rendered notification but the inbox's. */
export type SendRendered = Omit<Rendered, "inApp">;

import type { NotificationDeps } from "../deps";

export type DeliveryRow = typeof deliveries.$inferSelect;
export type NotificationRow = typeof notifications.$inferSelect;
/** Where reads and writes go: a delivery's transaction, or the database itself (a transaction is one). */
export type Tx = NotificationDeps["db"];

/**
 * How one send to one address ended, as the provider's answer classifies it:
 * `sent`; `retry` (worth trying again later, after `retryAfterMs` when the provider says);
 * `failed` (for good: the message or our credentials are refused); `gone` (the address no longer
 * exists: it is removed).
 */
export type SendResult =
  | { outcome: "sent"; messageId?: string }
  | { outcome: "retry"; error: unknown; retryAfterMs?: number }
  | { outcome: "failed"; error: unknown }
  | { outcome: "gone"; error: unknown };

/**
 * One delivery channel: where a user's addresses on it are, how a rendered notification is sent
 * to one of them and how the answer is classified, and how an address the provider reports gone
 * is removed. `configured` is false when its credentials are unset (its deliveries are skipped).
 */
export type DeliveryChannel<Address = unknown> = {
  name: SendChannel;
  configured: boolean;
  /** The user's addresses on this channel (`stored`: the delivery's own address, email's), read in the caller's transaction. */
  addressesOf: (tx: Tx, target: { userId: string; stored: string | null }) => Promise<Address[]>;
  /** Which of these users it reaches at all, asked once for many (planning a send to 1000 users). */
  reachable: (tx: Tx, targets: { userId: string; stored: string | null }[]) => Promise<Set<string>>;
  /**
   * `key`: what the message is (a delivery's id, a digest's), stable across attempts: the email's
   * Message-ID, the push Topic. `notificationId`: the notification it shows (none for a digest).
   */
  send: (message: { address: Address; rendered: SendRendered; key: string; notificationId: string | null }) => Promise<SendResult>;
  forget: (tx: Tx, address: Address) => Promise<void>;
};

/** An error with an HTTP status, classified as most push APIs answer: 404/410 gone, 408/429/5xx retry, other 4xx failed. */
export function classifyStatus(status: number, error: unknown, retryAfterMs?: number): SendResult {
  if (status === 404 || status === 410) return { outcome: "gone", error };
  if (status === 408 || status === 429 || status >= 500) return { outcome: "retry", error, retryAfterMs };
  return { outcome: "failed", error };
}

/** The users among `targets` with a row in `table` (their addresses there). */
export async function usersIn(tx: Tx, table: { userId: AnyPgColumn }, targets: { userId: string }[]): Promise<Set<string>> {
  if (targets.length === 0) return new Set();
  const rows = await tx
    .selectDistinct({ userId: table.userId })
    .from(table as unknown as PgTable)
    .where(
      inArray(
        table.userId,
        targets.map((target) => target.userId),
      ),
    );
  return new Set(rows.map((row) => row.userId as string));
}
