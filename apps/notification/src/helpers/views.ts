import type { deliveries, notifications } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import type { Channel } from "../catalog/index";

type NotificationRow = typeof notifications.$inferSelect;
type DeliveryRow = typeof deliveries.$inferSelect;

/** A notification as its owner sees it (never its data: a reset link's token stays in the email). */
export function notificationView(row: NotificationRow) {
  return {
    id: row.id,
    type: row.type,
    category: row.category as "security" | "account" | "reminders" | "ai" | "product",
    title: row.title,
    body: row.body,
    link: row.link,
    readAt: row.readAt?.toISOString() ?? null,
    archivedAt: row.archivedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

export function deliveryView(row: DeliveryRow) {
  return {
    channel: row.channel as Channel,
    status: row.status,
    reason: row.reason,
    attempts: row.attempts,
    sentAt: row.sentAt?.toISOString() ?? null,
    dueAt: row.dueAt?.toISOString() ?? null,
  };
}

/** What a user asking for a notification that is not theirs (or not there) gets: the same 404 either way. */
export const notFound = () => new ApiError({ code: "NOT_FOUND", message: "No such notification" });
