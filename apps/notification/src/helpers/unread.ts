import { notifications } from "@lodge/db/schema";
import { and, isNull } from "drizzle-orm";

/** What makes a notification count as unread (the inbox's count, the realtime announcements'): not read, and not archived. */
export const unreadOnly = () => and(isNull(notifications.readAt), isNull(notifications.archivedAt));
