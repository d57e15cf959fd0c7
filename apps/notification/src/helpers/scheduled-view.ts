import type { scheduledSends } from "@lodge/db/schema";
import type { Channel } from "../catalog/index";

/** A scheduled send as admins list it (the recipients counted, not listed). */
export function scheduledView(row: typeof scheduledSends.$inferSelect) {
  return {
    id: row.id,
    caller: row.caller,
    type: row.type,
    recipientCount: row.userIds.length,
    channels: row.channels as Channel[] | null,
    sendAt: row.sendAt.toISOString(),
    status: row.status,
    sentAt: row.sentAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}
