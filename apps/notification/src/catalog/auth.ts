import { z } from "zod";
import { briefly, simpleEmail } from "./layout";
import { textTemplate as text } from "./template";
import { formatTime, notificationType } from "./types";

const link = z.url({ protocol: /^https?$/ });
const sampleTime = "2026-03-29T00:30:00.000Z";
const alwaysSent = { en: "This security notice is always sent.", de: "Dieser Sicherheitshinweis wird immer gesendet." };

/** Sent on `auth.email_verification_requested`: the link carries the single-use token. */
export const verifyEmail = notificationType({
  key: "auth.verify_email",
  category: "account",
  critical: true,
  channels: ["in_app", "email"],
  data: z.object({ link, expiresAt: z.iso.datetime() }),
  secretData: true,
  sample: { link: "https://app.example.com/verify-email?token=abc123", expiresAt: sampleTime },
  templates: {
    en: (data, context) => ({
      email: simpleEmail({
        subject: "Confirm your email address",
        paragraphs: ["Please confirm that this is your email address.", text`The link works once, until ${formatTime(data.expiresAt, "en", context)}.`],
        action: { label: "Confirm email address", url: data.link },
        footer: "If you did not sign up, ignore this email.",
      }),
      ...briefly({ title: "Confirm your email address", body: "We sent you an email with a confirmation link.", link: null }, "Review security"),
    }),
    de: (data, context) => ({
      email: simpleEmail({
        subject: "Bestätige deine E-Mail-Adresse",
        paragraphs: [
          "Bitte bestätige, dass dies deine E-Mail-Adresse ist.",
          text`Der Link funktioniert einmal, bis ${formatTime(data.expiresAt, "de", context)}.`,
        ],
        action: { label: "E-Mail-Adresse bestätigen", url: data.link },
        footer: "Wenn du dich nicht registriert hast, ignoriere diese E-Mail.",
      }),
      ...briefly(
        { title: "Bestätige deine E-Mail-Adresse", body: "Wir haben dir eine E-Mail mit einem Bestätigungslink geschickt.", link: null },
        "Sicherheit prüfen",
      ),
    }),
  },
});

/** Sent on `auth.password_reset_requested`. The inbox entry has no link: the token is for the mailbox's owner only. */
export const passwordReset = notificationType({
  key: "auth.password_reset",
  category: "security",
  critical: true,
  channels: ["in_app", "email"],
  data: z.object({ link, expiresAt: z.iso.datetime() }),
  secretData: true,
  sample: { link: "https://app.example.com/reset-password?token=abc123", expiresAt: sampleTime },
  templates: {
    en: (data, context) => ({
      email: simpleEmail({
        subject: "Reset your password",
        paragraphs: [
          "Someone asked to reset the password of your account.",
          text`Set a new one with this link; it works once, until ${formatTime(data.expiresAt, "en", context)}.`,
        ],
        action: { label: "Set a new password", url: data.link },
        footer: "If it was not you, ignore this email: your password stays as it is.",
      }),
      ...briefly({ title: "Password reset requested", body: "A link to set a new password was sent to your email address.", link: null }, "Review security"),
    }),
    de: (data, context) => ({
      email: simpleEmail({
        subject: "Setze dein Passwort zurück",
        paragraphs: [
          "Jemand möchte das Passwort deines Kontos zurücksetzen.",
          text`Mit diesem Link setzt du ein neues; er funktioniert einmal, bis ${formatTime(data.expiresAt, "de", context)}.`,
        ],
        action: { label: "Neues Passwort setzen", url: data.link },
        footer: "Warst du das nicht, ignoriere diese E-Mail: dein Passwort bleibt, wie es ist.",
      }),
      ...briefly(
        {
          title: "Passwort-Zurücksetzung angefordert",
          body: "Ein Link zum Setzen eines neuen Passworts wurde an deine E-Mail-Adresse geschickt.",
          link: null,
        },
        "Sicherheit prüfen",
      ),
    }),
  },
});

/** Sent on `auth.password_changed` (by a change or a reset): the owner learns of it if it was not them. */
export const passwordChanged = notificationType({
  key: "auth.password_changed",
  category: "security",
  critical: true,
  channels: ["in_app", "email"],
  data: z.object({ via: z.enum(["change", "reset"]), at: z.iso.datetime(), securityLink: link }),
  sample: { via: "reset", at: sampleTime, securityLink: "https://app.example.com/settings/security" },
  templates: {
    en: (data, context) => {
      const how = data.via === "reset" ? "with a reset link" : "in your account settings";
      const what = text`The password of your account was changed ${how} on ${formatTime(data.at, "en", context)}. Your other sessions were signed out.`;
      return {
        email: simpleEmail({
          subject: "Your password was changed",
          paragraphs: [what, "If this was not you, reset your password at once and review your sessions."],
          action: { label: "Review security", url: data.securityLink },
          footer: alwaysSent.en,
        }),
        ...briefly({ title: "Your password was changed", body: what, link: data.securityLink }, "Review security"),
      };
    },
    de: (data, context) => {
      const how = data.via === "reset" ? "über einen Link zum Zurücksetzen" : "in deinen Kontoeinstellungen";
      const what = text`Das Passwort deines Kontos wurde am ${formatTime(data.at, "de", context)} ${how} geändert. Deine anderen Sitzungen wurden abgemeldet.`;
      return {
        email: simpleEmail({
          subject: "Dein Passwort wurde geändert",
          paragraphs: [what, "Warst du das nicht, setze dein Passwort sofort zurück und prüfe deine Sitzungen."],
          action: { label: "Sicherheit prüfen", url: data.securityLink },
          footer: alwaysSent.de,
        }),
        ...briefly({ title: "Dein Passwort wurde geändert", body: what, link: data.securityLink }, "Sicherheit prüfen"),
      };
    },
  },
});

/** Sent on `auth.session_revoked` with reason `refresh_reuse`: a spent refresh token came back, so a session was ended. */
export const suspiciousRefresh = notificationType({
  key: "auth.suspicious_refresh",
  category: "security",
  critical: true,
  channels: ["in_app", "email", "web_push", "fcm", "telegram"],
  data: z.object({ at: z.iso.datetime(), securityLink: link }),
  sample: { at: sampleTime, securityLink: "https://app.example.com/settings/security" },
  templates: {
    en: (data, context) => {
      const what = text`On ${formatTime(data.at, "en", context)} a sign-in token of your account was used a second time, which happens when it was copied. We signed that session out.`;
      return {
        email: simpleEmail({
          subject: "We signed out a session of your account",
          paragraphs: [what, "If you do not recognise this, change your password and review your sessions."],
          action: { label: "Review security", url: data.securityLink },
          footer: alwaysSent.en,
        }),
        ...briefly({ title: "A session was signed out", body: what, link: data.securityLink }, "Review security"),
      };
    },
    de: (data, context) => {
      const what = text`Am ${formatTime(data.at, "de", context)} wurde ein Anmelde-Token deines Kontos ein zweites Mal verwendet, was geschieht, wenn es kopiert wurde. Wir haben diese Sitzung abgemeldet.`;
      return {
        email: simpleEmail({
          subject: "Wir haben eine Sitzung deines Kontos abgemeldet",
          paragraphs: [what, "Wenn dir das unbekannt vorkommt, ändere dein Passwort und prüfe deine Sitzungen."],
          action: { label: "Sicherheit prüfen", url: data.securityLink },
          footer: alwaysSent.de,
        }),
        ...briefly({ title: "Eine Sitzung wurde abgemeldet", body: what, link: data.securityLink }, "Sicherheit prüfen"),
      };
    },
  },
});
