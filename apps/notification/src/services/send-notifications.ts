import { scheduledSends, sendRequests } from "@lodge/db/schema";
import { ApiError, canonicalHash, issuesToDetails } from "@lodge/kit";
import { and, eq, lte } from "drizzle-orm";
import { type Channel, typeNamed } from "../catalog/index";
import type { Tx } from "../channels/types";
import type { Ctx } from "../deps";
import { type PendingDelivery, queueDeliveries, queuePendingOf } from "../helpers/queue-deliveries";
import { callerOf, queueScheduledSend, unschedulable } from "../helpers/triggers";
import { announceCreated, type Created } from "../realtime/announce";
import { insertNotifications } from "./insert-notifications";

/** How long an idempotency key answers with its first response. */
const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

export type SendInput = {
  userIds: string[];
  type: string;
  data: unknown;
  channels?: Channel[];
  sendAt?: Date;
  idempotencyKey?: string;
};

export type SendResponse = { ids: string[]; scheduledId?: string };

/**
 * A service's or admin's send: one notification per user now, or one scheduled send for later
 * (`sendAt`), in one transaction, so bad input leaves no row. With an idempotency key the caller's
 * first answer is stored in the same transaction: the same key again (within 24 h) answers it and
 * sends nothing; a concurrent duplicate waits on the key's unique index, then reads that answer;
 * the same key with another body is a 409. Emails and the scheduled job are queued after the
 * commit, on a replay too (by their ids, so never twice): a retry after a crash finishes the work.
 * `admit` counts the send against the caller's rate limit before anything is written (the batched
 * write counts it with the other sends of its batch); a refusal fails the send with its error and
 * writes nothing.
 */
export async function sendNotifications({ ctx, input, admit }: { ctx: Ctx; input: SendInput; admit?: () => Promise<unknown> }): Promise<SendResponse> {
  const { db, clock } = ctx.deps;
  const type = typeNamed(input.type);
  const refused = input.channels?.filter((channel) => !type.channels.includes(channel)) ?? [];
  if (refused.length > 0) throw invalid("channels", `${type.key} is not sent on ${refused.join(", ")}; its channels are ${type.channels.join(", ")}`);
  const parsed = type.data.safeParse(input.data);
  if (!parsed.success)
    throw new ApiError({
      code: "VALIDATION_FAILED",
      message: `data does not fit the type ${type.key}`,
      details: issuesToDetails(parsed.error.issues.map((issue) => ({ ...issue, path: ["data", ...issue.path] }))),
    });
  const now = clock();
  const problem = input.sendAt && unschedulable(input.sendAt, now);
  if (problem) throw invalid("sendAt", `sendAt ${problem}`);
  const userIds = [...new Set(input.userIds)];
  const caller = callerOf(ctx);
  const channels = input.channels ? [...new Set(input.channels)] : undefined;

  /** In a transaction when there is a key to claim or a send to schedule (`tx`); otherwise the one write is insertNotifications'. */
  const record = async (tx?: Tx): Promise<{ response: SendResponse; pending?: PendingDelivery[]; created?: Created[] }> => {
    let requestId: string | undefined;
    if (input.idempotencyKey && tx) {
      const key = input.idempotencyKey;
      const requestHash = canonicalHash({ userIds, type: type.key, data: parsed.data, channels, sendAt: input.sendAt?.toISOString() });
      await tx.delete(sendRequests).where(and(eq(sendRequests.caller, caller), eq(sendRequests.key, key), lte(sendRequests.expiresAt, now)));
      const [claimed] = await tx
        .insert(sendRequests)
        .values({ caller, key, requestHash, createdAt: now, expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS) })
        .onConflictDoNothing()
        .returning({ id: sendRequests.id });
      if (!claimed) {
        const [first] = await tx
          .select()
          .from(sendRequests)
          .where(and(eq(sendRequests.caller, caller), eq(sendRequests.key, key)));
        if (!first?.response) throw new ApiError({ code: "CONFLICT", message: "A request with this idempotency key is in progress; retry shortly" });
        if (first.requestHash !== requestHash)
          throw new ApiError({ code: "CONFLICT", message: "This idempotency key was used for a different request; use a new key" });
        return { response: first.response as SendResponse };
      }
      requestId = claimed.id;
    }
    let made: SendResponse;
    let pending: PendingDelivery[] = [];
    let created: Created[] | undefined;
    if (input.sendAt && tx) {
      const [scheduled] = await tx
        .insert(scheduledSends)
        .values({ caller, userIds, type: type.key, data: parsed.data, channels, sendAt: input.sendAt, createdAt: now })
        .returning({ id: scheduledSends.id });
      made = { ids: [], scheduledId: scheduled?.id as string };
    } else {
      const sourceKey = requestId ? (userId: string) => `send:${requestId}:${userId}` : undefined;
      const inserted = await insertNotifications(ctx, { type, data: parsed.data, userIds, channels, sourceKey, now, ...(admit && !tx ? { admit } : {}) }, tx);
      made = { ids: inserted.ids };
      pending = inserted.pending;
      created = inserted.created;
    }
    if (requestId && tx) await tx.update(sendRequests).set({ response: made }).where(eq(sendRequests.id, requestId));
    return { response: made, pending, ...(created ? { created } : {}) };
  };
  // Without a key to claim or a send to schedule, the one write is insertNotifications' statement,
  // atomic on its own and shared with concurrent sends': no transaction (two round trips fewer).
  // The batched write counts the send while it reads; a transaction is counted before it begins.
  const transacted = async () => {
    await admit?.();
    return db.transaction(record);
  };
  const { response, pending, created } = input.idempotencyKey || input.sendAt ? await transacted() : await record();

  if (response.scheduledId && input.sendAt) await queueScheduledSend(ctx, response.scheduledId, input.sendAt);
  // A replayed answer's deliveries are read again: what a crash after its commit left unqueued.
  await (pending ? queueDeliveries(ctx, pending) : queuePendingOf(ctx, response.ids));
  await announceCreated(ctx, response.ids, created);
  return response;
}

const invalid = (path: string, message: string) => new ApiError({ code: "VALIDATION_FAILED", message, details: [{ path, message }] });
