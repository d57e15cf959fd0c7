import type { reminders } from "@lodge/db/schema";
import type { Channel } from "../catalog/index";

/** A reminder as its owner sees it. */
export function reminderView(row: typeof reminders.$inferSelect) {
  return {
    id: row.id,
    text: row.text,
    repeat: row.repeat,
    startsAt: row.startsAt,
    timeZone: row.timeZone,
    channels: row.channels as Channel[] | null,
    nextAt: row.nextAt.toISOString(),
    createdAt: row.createdAt.toISOString(),
  };
}
