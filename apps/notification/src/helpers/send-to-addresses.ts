import type { DeliveryChannel, SendResult, Tx } from "../channels/types";
import type { Ctx } from "../deps";

/** How one attempt at a message (a delivery, a digest) ended, over all of the user's addresses on its channel. */
type Settled =
  | { status: "sent"; messageId: string | null }
  | { status: "retry"; error: unknown; retryAfterMs?: number }
  | { status: "failed"; reason: "send_failed" | "rejected" | "address_gone"; error?: unknown };

/** What a send job found: nothing to do (done before, deleted, no address left) or how its attempt settled. */
export type SendOutcome = { status: "already_done" | "gone" | "skipped" } | Settled;

/** A send worth trying again; `retryAfterMs` when the provider said how long to wait (Telegram's `retry_after`, a `Retry-After`). */
export class RetryLater extends Error {
  constructor(
    override readonly cause: unknown,
    readonly retryAfterMs?: number,
  ) {
    super(cause instanceof Error ? cause.message : "send failed");
  }
}

/**
 * Sends one message to each of the user's addresses on a channel, removes (in the caller's
 * transaction) those the provider reports gone, and settles the attempt: one address reached makes
 * it sent (a temporary failure at another is not retried, which would send twice to the ones
 * reached); otherwise a temporary failure is retried unless this was the last attempt (waiting as
 * the provider asked is never counted as one), and a refusal or only gone addresses fail it.
 */
export async function sendToAddresses<Address>(
  tx: Tx,
  channel: DeliveryChannel<Address>,
  addresses: Address[],
  message: Omit<Parameters<DeliveryChannel<Address>["send"]>[0], "address">,
  lastAttempt: boolean,
): Promise<Settled> {
  const results: SendResult[] = [];
  for (const address of addresses) {
    const result = await channel.send({ ...message, address });
    if (result.outcome === "gone") await channel.forget(tx, address);
    results.push(result);
  }
  const sent = results.find((result) => result.outcome === "sent");
  if (sent) return { status: "sent", messageId: sent.messageId ?? null };
  const retry = results.find((result) => result.outcome === "retry");
  if (retry && !(lastAttempt && retry.retryAfterMs === undefined)) return { status: "retry", error: retry.error, retryAfterMs: retry.retryAfterMs };
  if (retry) return { status: "failed", reason: "send_failed", error: retry.error };
  return { status: "failed", reason: results.some((result) => result.outcome === "failed") ? "rejected" : "address_gone" };
}

/** Counts a settled send in `notification_sends_total`; a retry, or a last failed attempt, is thrown so BullMQ records it. */
export function countAndThrow(ctx: Ctx, channel: string, outcome: SendOutcome) {
  if (outcome.status === "already_done" || outcome.status === "gone") return;
  ctx.deps.sends.inc({ channel, outcome: outcome.status });
  if (outcome.status === "retry") throw new RetryLater(outcome.error, outcome.retryAfterMs);
  if (outcome.status === "failed" && outcome.error !== undefined) throw new RetryLater(outcome.error);
}
