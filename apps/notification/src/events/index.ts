import type { Consumers } from "@lodge/kit";
import type { NotificationDeps } from "../deps";
import { relayMessage } from "../realtime/relay";
import { createNotification } from "../services/create-notification";
import { eraseUser } from "../services/erase-user";
import { linkTelegram } from "../services/link-telegram";
import { rememberRecipient } from "../services/remember-recipient";
import { unlinkTelegram } from "../services/unlink-telegram";

/** How long an AI job runs before its end is also stored as a notification (not only pushed to open sockets). */
const LONG_JOB_MS = 60_000;

/**
 * What the notification service consumes (consumer group "notification"): auth's requests for
 * verification and reset emails and its security events, the addresses users register with, their
 * language and time zone (the user service's preferences and profile), the bot's Telegram links,
 * the AI service's finished jobs, and account deletions. Each notification is keyed by its event's id, so a redelivery makes none twice.
 */
export const consumers: Consumers<NotificationDeps> = {
  "user.registered": (event, ctx) => rememberRecipient({ ctx, input: { userId: event.data.userId, email: event.data.email } }),
  "user.email_verified": (event, ctx) => rememberRecipient({ ctx, input: { userId: event.data.userId, email: event.data.email } }),
  "user.preferences_updated": (event, ctx) => {
    const { userId, version, preferences } = event.data;
    const settings = { notifications: preferences.notifications, quietHours: preferences.quietHours };
    return rememberRecipient({ ctx, input: { userId, locale: preferences.language, settings, preferencesVersion: version } });
  },
  "user.profile_updated": (event, ctx) => {
    const { userId, locale, timezone } = event.data;
    if (locale === undefined && timezone === undefined) return;
    return rememberRecipient({ ctx, input: { userId, locale, timeZone: timezone } });
  },
  "auth.email_verification_requested": async (event, ctx) => {
    const { userId, email, token, expiresAt } = event.data;
    await rememberRecipient({ ctx, input: { userId, email } });
    const link = ctx.deps.config.links.verifyEmail(token);
    await createNotification({ ctx, input: { userId, type: "auth.verify_email", data: { link, expiresAt }, sourceKey: event.id, email } });
  },
  "auth.password_reset_requested": async (event, ctx) => {
    const { userId, email, token, expiresAt } = event.data;
    await rememberRecipient({ ctx, input: { userId, email } });
    const link = ctx.deps.config.links.resetPassword(token);
    await createNotification({ ctx, input: { userId, type: "auth.password_reset", data: { link, expiresAt }, sourceKey: event.id, email } });
  },
  "auth.password_changed": async (event, ctx) => {
    const data = { via: event.data.via, at: event.occurredAt, securityLink: ctx.deps.config.links.security };
    await createNotification({ ctx, input: { userId: event.data.userId, type: "auth.password_changed", data, sourceKey: event.id } });
  },
  "auth.session_revoked": async (event, ctx) => {
    // Only a replayed refresh token is news to the owner; the other reasons are their own doing (or told otherwise).
    if (event.data.reason !== "refresh_reuse") return;
    const data = { at: event.occurredAt, securityLink: ctx.deps.config.links.security };
    await createNotification({ ctx, input: { userId: event.data.userId, type: "auth.suspicious_refresh", data, sourceKey: event.id } });
  },
  "telegram.linked": (event, ctx) =>
    linkTelegram({ ctx, input: { userId: event.data.userId, chatId: event.data.chatId, linkedAt: new Date(event.occurredAt) } }),
  "telegram.unlinked": (event, ctx) => unlinkTelegram({ ctx, input: { userId: event.data.userId, chatId: event.data.chatId } }),
  "realtime.message": (event, ctx) => relayMessage(ctx, event.data),
  "ai.job_completed": async (event, ctx) => {
    const { userId, jobId, kind, status, durationMs } = event.data;
    await relayMessage(ctx, { userId, type: "ai.job_completed", data: { jobId, kind, status } });
    // A job that ran over a minute may have outlived the user's visit: it goes to the inbox (and their channels) too.
    if (durationMs <= LONG_JOB_MS) return;
    const data = { jobId, kind, status, link: ctx.deps.config.links.aiJob(jobId) };
    await createNotification({ ctx, input: { userId, type: "ai.job_completed", data, sourceKey: event.id } });
  },
  "user.deletion_requested": async (event, ctx) => {
    const erased = await eraseUser({ ctx, input: { userId: event.data.userId } });
    ctx.logger.info({ userId: event.data.userId, ...erased }, "user's notifications erased");
  },
};
