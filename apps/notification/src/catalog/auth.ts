import { z } from "zod";
import { emailHtml } from "./layout";
import { textTemplate as text } from "./template";
import { formatTime, notificationType } from "./types";

const link = z.url({ protocol: /^https?$/ });
const sampleTime = "2026-03-29T00:30:00.000Z";

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
    en: (data, context) => {
      const until = formatTime(data.expiresAt, "en", context);
      const lines = ["Please confirm that this is your email address.", text`The link works once, until ${until}.`];
      const ignore = "If you did not sign up, ignore this email.";
      return {
        email: {
          subject: "Confirm your email address",
          text: text`${lines.join(" ")}\n\n${data.link}\n\n${ignore}\n`,
          html: emailHtml({
            heading: "Confirm your email address",
            paragraphs: lines,
            action: { label: "Confirm email address", url: data.link },
            footer: ignore,
          }),
        },
        inApp: { title: "Confirm your email address", body: "We sent you an email with a confirmation link.", link: null },
      };
    },
    de: (data, context) => {
      const until = formatTime(data.expiresAt, "de", context);
      const lines = ["Bitte bestätige, dass dies deine E-Mail-Adresse ist.", text`Der Link funktioniert einmal, bis ${until}.`];
      const ignore = "Wenn du dich nicht registriert hast, ignoriere diese E-Mail.";
      return {
        email: {
          subject: "Bestätige deine E-Mail-Adresse",
          text: text`${lines.join(" ")}\n\n${data.link}\n\n${ignore}\n`,
          html: emailHtml({
            heading: "Bestätige deine E-Mail-Adresse",
            paragraphs: lines,
            action: { label: "E-Mail-Adresse bestätigen", url: data.link },
            footer: ignore,
          }),
        },
        inApp: { title: "Bestätige deine E-Mail-Adresse", body: "Wir haben dir eine E-Mail mit einem Bestätigungslink geschickt.", link: null },
      };
    },
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
    en: (data, context) => {
      const until = formatTime(data.expiresAt, "en", context);
      const lines = ["Someone asked to reset the password of your account.", text`Set a new one with this link; it works once, until ${until}.`];
      const ignore = "If it was not you, ignore this email: your password stays as it is.";
      return {
        email: {
          subject: "Reset your password",
          text: text`${lines.join(" ")}\n\n${data.link}\n\n${ignore}\n`,
          html: emailHtml({ heading: "Reset your password", paragraphs: lines, action: { label: "Set a new password", url: data.link }, footer: ignore }),
        },
        inApp: { title: "Password reset requested", body: "A link to set a new password was sent to your email address.", link: null },
      };
    },
    de: (data, context) => {
      const until = formatTime(data.expiresAt, "de", context);
      const lines = ["Jemand möchte das Passwort deines Kontos zurücksetzen.", text`Mit diesem Link setzt du ein neues; er funktioniert einmal, bis ${until}.`];
      const ignore = "Warst du das nicht, ignoriere diese E-Mail: dein Passwort bleibt, wie es ist.";
      return {
        email: {
          subject: "Setze dein Passwort zurück",
          text: text`${lines.join(" ")}\n\n${data.link}\n\n${ignore}\n`,
          html: emailHtml({
            heading: "Setze dein Passwort zurück",
            paragraphs: lines,
            action: { label: "Neues Passwort setzen", url: data.link },
            footer: ignore,
          }),
        },
        inApp: {
          title: "Passwort-Zurücksetzung angefordert",
          body: "Ein Link zum Setzen eines neuen Passworts wurde an deine E-Mail-Adresse geschickt.",
          link: null,
        },
      };
    },
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
      const lines = [text`The password of your account was changed ${how} on ${formatTime(data.at, "en", context)}. Your other sessions were signed out.`];
      const warning = "If this was not you, reset your password at once and review your sessions.";
      return {
        email: {
          subject: "Your password was changed",
          text: text`${lines.join(" ")}\n\n${warning}\n${data.securityLink}\n`,
          html: emailHtml({
            heading: "Your password was changed",
            paragraphs: [...lines, warning],
            action: { label: "Review security", url: data.securityLink },
            footer: "This security notice is always sent.",
          }),
        },
        inApp: { title: "Your password was changed", body: lines.join(" "), link: data.securityLink },
      };
    },
    de: (data, context) => {
      const how = data.via === "reset" ? "über einen Link zum Zurücksetzen" : "in deinen Kontoeinstellungen";
      const lines = [
        text`Das Passwort deines Kontos wurde am ${formatTime(data.at, "de", context)} ${how} geändert. Deine anderen Sitzungen wurden abgemeldet.`,
      ];
      const warning = "Warst du das nicht, setze dein Passwort sofort zurück und prüfe deine Sitzungen.";
      return {
        email: {
          subject: "Dein Passwort wurde geändert",
          text: text`${lines.join(" ")}\n\n${warning}\n${data.securityLink}\n`,
          html: emailHtml({
            heading: "Dein Passwort wurde geändert",
            paragraphs: [...lines, warning],
            action: { label: "Sicherheit prüfen", url: data.securityLink },
            footer: "Dieser Sicherheitshinweis wird immer gesendet.",
          }),
        },
        inApp: { title: "Dein Passwort wurde geändert", body: lines.join(" "), link: data.securityLink },
      };
    },
  },
});

/** Sent on `auth.session_revoked` with reason `refresh_reuse`: a spent refresh token came back, so a session was ended. */
export const suspiciousRefresh = notificationType({
  key: "auth.suspicious_refresh",
  category: "security",
  critical: true,
  channels: ["in_app", "email"],
  data: z.object({ at: z.iso.datetime(), securityLink: link }),
  sample: { at: sampleTime, securityLink: "https://app.example.com/settings/security" },
  templates: {
    en: (data, context) => {
      const lines = [
        text`On ${formatTime(data.at, "en", context)} a sign-in token of your account was used a second time, which happens when it was copied. We signed that session out.`,
        "If you do not recognise this, change your password and review your sessions.",
      ];
      return {
        email: {
          subject: "We signed out a session of your account",
          text: text`${lines.join("\n\n")}\n${data.securityLink}\n`,
          html: emailHtml({
            heading: "We signed out a session",
            paragraphs: lines,
            action: { label: "Review security", url: data.securityLink },
            footer: "This security notice is always sent.",
          }),
        },
        inApp: { title: "A session was signed out", body: lines[0] as string, link: data.securityLink },
      };
    },
    de: (data, context) => {
      const lines = [
        text`Am ${formatTime(data.at, "de", context)} wurde ein Anmelde-Token deines Kontos ein zweites Mal verwendet, was geschieht, wenn es kopiert wurde. Wir haben diese Sitzung abgemeldet.`,
        "Wenn dir das unbekannt vorkommt, ändere dein Passwort und prüfe deine Sitzungen.",
      ];
      return {
        email: {
          subject: "Wir haben eine Sitzung deines Kontos abgemeldet",
          text: text`${lines.join("\n\n")}\n${data.securityLink}\n`,
          html: emailHtml({
            heading: "Wir haben eine Sitzung abgemeldet",
            paragraphs: lines,
            action: { label: "Sicherheit prüfen", url: data.securityLink },
            footer: "Dieser Sicherheitshinweis wird immer gesendet.",
          }),
        },
        inApp: { title: "Eine Sitzung wurde abgemeldet", body: lines[0] as string, link: data.securityLink },
      };
    },
  },
});
