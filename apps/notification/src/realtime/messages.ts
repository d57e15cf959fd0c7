import { z } from "zod";
import type { notificationView } from "../helpers/views";

type NotificationView = ReturnType<typeof notificationView>;

/**
 * What the server sends on the realtime socket, as JSON text (documented in the README):
 * - `notification.created`: a new notification as the inbox lists it (live, or replayed after `resume`);
 * - `notification.updated`: read/archived state changed on some device (`ids` with the new
 *   `readAt`/`archivedAt`, or `deleted: true`), so every device of the user shows the same;
 * - `unread_count`: the inbox's unread count after any change;
 * - `refetch`: more was missed than a resume replays: reload the inbox;
 * - another service's message (`realtime.message` on the bus): `{ type: "<service>.<what>", data }`.
 */
export type ServerMessage =
  | { type: "notification.created"; notification: NotificationView }
  | { type: "notification.updated"; ids: string[]; readAt?: string | null; archivedAt?: string | null; deleted?: true }
  | { type: "unread_count"; count: number }
  | { type: "refetch"; reason: "too_many_missed" }
  | { type: `${string}.${string}`; data: Record<string, unknown> };

/** What a client may send: `resume` after (re)connecting, with the id of the last notification it saw (none on a first connect). */
export const ClientMessage = z.discriminatedUnion("type", [z.object({ type: z.literal("resume"), after: z.uuid().optional() }).strict()]);

export type ClientMessage = z.infer<typeof ClientMessage>;

/** A client message, or undefined for anything else (not JSON, an unknown type, extra fields). */
export function parseClientMessage(text: string): ClientMessage | undefined {
  try {
    const parsed = ClientMessage.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
