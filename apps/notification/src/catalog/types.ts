import type { z } from "zod";

export const categories = ["security", "account", "reminders", "ai", "product"] as const;
export type Category = (typeof categories)[number];

/** The inbox (the notification row itself), email, Web Push to browsers, FCM to phones, and the linked Telegram chat. */
export const channels = ["in_app", "email", "web_push", "fcm", "telegram"] as const;
export type Channel = (typeof channels)[number];
/** The channels a delivery job sends on (the inbox needs no send). */
export type SendChannel = Exclude<Channel, "in_app">;
/** The channels a delivery job sends on (all but the inbox, which is the notification itself). */
export const sendChannels = channels.filter((channel): channel is SendChannel => channel !== "in_app");

export const locales = ["en", "de"] as const;
export type Locale = (typeof locales)[number];
export const defaultLocale: Locale = "en";

/** What every template is given beside the type's data: where dates are shown. */
export type RenderContext = { timeZone: string };

/** One notification in one language, for every channel. */
export type Rendered = {
  /** `unsubscribeUrl`: the one-click unsubscribe link (List-Unsubscribe), added at send time to non-critical mail. */
  email: { subject: string; text: string; html: string; unsubscribeUrl?: string };
  inApp: { title: string; body: string; link: string | null };
  /** Web Push and FCM: a short title and body, and where a tap takes the user. */
  push: { title: string; body: string; link: string | null };
  /** Telegram, in its HTML parse mode: written with `htmlTemplate`, so the data is escaped. */
  telegram: string;
};

/**
 * A notification type: its key, category, whether it is critical (security and account mail that
 * ignores opt-outs, quiet hours and digests), the channels it may use, the schema of its data, and
 * a template per locale. `sample` is data the catalog test renders every template with.
 */
export type NotificationType<Data extends z.ZodType = z.ZodType> = {
  key: string;
  category: Category;
  critical: boolean;
  channels: readonly Channel[];
  data: Data;
  /**
   * Its data carries a one-time secret (a link with a token): cleared from the stored notification
   * once its email is sent or has failed, so a database reader cannot take over the account.
   */
  secretData?: boolean;
  templates: Record<Locale, (data: z.infer<Data>, context: RenderContext) => Rendered>;
  sample: z.infer<Data>;
};

/** Declares a type (a typed identity, so its templates get its data's type). */
export function notificationType<Data extends z.ZodType>(type: NotificationType<Data>): NotificationType<Data> {
  return type;
}

/** A date as a reader of `locale` in `timeZone` expects it, with the zone named. */
export function formatTime(iso: string, locale: Locale, { timeZone }: RenderContext): string {
  return new Intl.DateTimeFormat(locale, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone,
    timeZoneName: "short",
  }).format(new Date(iso));
}
