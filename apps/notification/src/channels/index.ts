import type { SendChannel } from "../catalog/index";
import type { NotificationConfig } from "../config";
import type { Mailer } from "../helpers/mailer";
import { emailChannel } from "./email";
import { fcmChannel } from "./fcm";
import { telegramChannel } from "./telegram";
import type { DeliveryChannel } from "./types";
import { webPushChannel } from "./web-push";

export type { DeliveryChannel, SendResult } from "./types";

export type Channels = Record<SendChannel, DeliveryChannel>;

/** Every channel a delivery job sends on, built once at boot from the config. */
export function createChannels(options: { config: NotificationConfig; mailer: Mailer; fetch: typeof fetch; clock: () => Date }): Channels {
  return {
    email: emailChannel({ mailer: options.mailer, from: options.config.mailFrom }),
    web_push: webPushChannel(options),
    fcm: fcmChannel(options),
    telegram: telegramChannel(options),
  } as Channels;
}

/** The boot log line: which channels send, and how to turn on the others. */
export function describeChannels(channels: Channels, mailer: Mailer): string {
  const howTo: Record<SendChannel, string> = {
    email: "set SMTP_URL and MAIL_FROM (emails are logged until then)",
    web_push: "set VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY (bun run --cwd apps/notification vapid:keys) and VAPID_SUBJECT",
    fcm: "set FCM_SERVICE_ACCOUNT to the Firebase service account's JSON key",
    telegram: "set TELEGRAM_BOT_TOKEN (the bot service's token)",
  };
  const parts = Object.values(channels).map((channel) => {
    const on = channel.name === "email" ? mailer.kind === "smtp" : channel.configured;
    return on ? `${channel.name}: on` : `${channel.name}: off (${howTo[channel.name]})`;
  });
  return `notification channels: ${parts.join("; ")}`;
}
