import type { EventDataOf, EventType } from "@lodge/events";
import type { Consumers } from "@lodge/kit";
import type { AnalyticsDeps, Ctx } from "../deps";
import { recordProductEvent } from "../services/record-product-event";

/** Whose event it is and the few properties worth counting by: never an email, a name, a file name, a token or a chat. */
type Picked = { userId: string; props?: Record<string, string> };
type Pickers = { [T in EventType]?: (data: EventDataOf<T>) => Picked };

/**
 * The bus events that are things users do, stored as product events named after their type. Only
 * events of the catalog that mark a user's own step: not security events (auth.*), not those the
 * deletion saga itself causes (file.deleted, telegram.unlinked), which would bring an erased user back.
 */
const pickers: Pickers = {
  "user.registered": (data) => ({ userId: data.userId }),
  "user.email_verified": (data) => ({ userId: data.userId }),
  "file.uploaded": (data) => ({ userId: data.ownerId, props: { contentType: data.contentType.slice(0, 255), size: String(data.size) } }),
  "ai.job_completed": (data) => ({ userId: data.userId, props: { kind: data.kind, status: data.status } }),
  "telegram.linked": (data) => ({ userId: data.userId }),
};

/**
 * One consumer per picked type. The row's id is the bus event's id and its time the event's
 * `occurredAt`, so a redelivered event is skipped by the table's key and counts once.
 */
export const productEventConsumers = Object.fromEntries(
  Object.entries(pickers).map(([type, pick]) => [
    type,
    async (event: { id: string; occurredAt: string; data: unknown }, ctx: Ctx) => {
      const { userId, props = {} } = (pick as (data: unknown) => Picked)(event.data);
      await recordProductEvent({ ctx, input: { id: event.id, at: new Date(event.occurredAt), userId, name: type, props } });
    },
  ]),
) as Consumers<AnalyticsDeps>;
