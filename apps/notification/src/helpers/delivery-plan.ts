import type { NotificationSettings } from "@lodge/db/schema";
import { nextLocalTime, quietHoursEnd, type TimeOfDay } from "@lodge/kit";
import type { Channel, NotificationType } from "../catalog/index";

/** The channels a user switches in their settings (the user service's names): push covers web push and FCM. */
export const settingsChannels = ["email", "push", "telegram"] as const;
export type SettingsChannel = (typeof settingsChannels)[number];

/** Which setting governs a delivery channel (none for the inbox, which is the notification itself). */
const settingsChannelOf: Record<Channel, SettingsChannel | null> = { in_app: null, email: "email", web_push: "push", fcm: "push", telegram: "telegram" };

/** A delivery's status at creation, and when a held one goes out. */
export type Plan =
  | { status: "sent" }
  | { status: "pending" }
  | { status: "skipped"; reason: "not_requested" | "not_configured" | "no_address" | "opted_out" }
  | { status: "held"; reason: "quiet_hours" | "digest"; dueAt: Date };

type Audience = {
  settings: NotificationSettings;
  /** `category:channel` pairs the user turned off here (GET/PUT /notifications/preferences). */
  optOuts: ReadonlySet<string>;
  timeZone: string;
};

/**
 * What happens to a notification on one channel, decided once when it is made: a channel the
 * sender left out is skipped; the inbox has it at once; a channel without credentials or an address for the user skips it; a critical type goes out now whatever the settings; otherwise a channel switched off
 * (in the user's settings, or for this category here) skips it, a `daily`/`weekly` channel holds it
 * for the next digest (at `digestTime`, weekly on Mondays, local), and quiet hours hold it until
 * they end. A digest due inside quiet hours waits for their end too.
 */
export function planDelivery(input: {
  type: NotificationType;
  channel: Channel;
  audience: Audience;
  /** Whether the sender asked for this channel (POST /notifications/send's `channels`). */
  requested: boolean;
  /** Whether the channel has its credentials (VAPID keys, a bot token). */
  configured: boolean;
  /** Whether the channel reaches the user at all (an email address, a push subscription). */
  hasAddress: boolean;
  now: Date;
  digestTime: TimeOfDay;
}): Plan {
  const { type, channel, audience, now } = input;
  const setting = settingsChannelOf[channel];
  if (!input.requested) return { status: "skipped", reason: "not_requested" };
  if (setting === null) return { status: "sent" };
  if (!input.configured) return { status: "skipped", reason: "not_configured" };
  if (!input.hasAddress) return { status: "skipped", reason: "no_address" };
  if (type.critical) return { status: "pending" };
  const { enabled, frequency } = audience.settings.notifications[setting];
  if (!enabled || audience.optOuts.has(`${type.category}:${setting}`)) return { status: "skipped", reason: "opted_out" };
  const quietHours = audience.settings.quietHours;
  const afterQuietHours = (at: Date) => (quietHours && quietHoursEnd(at, audience.timeZone, quietHours)) ?? at;
  if (frequency !== "instant") {
    const digestAt = nextLocalTime(now, audience.timeZone, input.digestTime, frequency === "weekly" ? 1 : undefined);
    return { status: "held", reason: "digest", dueAt: afterQuietHours(digestAt) };
  }
  const quietUntil = quietHours && quietHoursEnd(now, audience.timeZone, quietHours);
  return quietUntil ? { status: "held", reason: "quiet_hours", dueAt: quietUntil } : { status: "pending" };
}
