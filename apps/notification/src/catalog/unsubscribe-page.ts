import { htmlTemplate, markup } from "./template";
import type { Category, Locale } from "./types";

const categoryNames: Record<Locale, Record<Category, string>> = {
  en: { security: "security", account: "account", reminders: "reminder", ai: "AI", product: "product news" },
  de: { security: "Sicherheits", account: "Konto", reminders: "Erinnerungs", ai: "KI", product: "Produktneuigkeiten" },
};

const words = {
  en: {
    title: "Unsubscribe",
    ask: (names: string) => `Stop receiving ${names} emails?`,
    button: "Unsubscribe",
    done: (names: string) => `You will no longer receive ${names} emails. You can turn them on again in your notification settings.`,
  },
  de: {
    title: "Abmelden",
    ask: (names: string) => `Keine ${names}-E-Mails mehr erhalten?`,
    button: "Abmelden",
    done: (names: string) => `Du erhältst keine ${names}-E-Mails mehr. In deinen Benachrichtigungseinstellungen kannst du sie wieder einschalten.`,
  },
} satisfies Record<Locale, unknown>;

/**
 * The page behind an unsubscribe link: asking (a form that POSTs the RFC 8058 body back to the
 * same link, since following a link must not unsubscribe: mail scanners follow links), or saying
 * it is done. No script, inline styles only, every value escaped.
 */
export function unsubscribePage(locale: Locale, page: { categories: Category[]; token: string; done: boolean }): string {
  const names = page.categories.map((category) => categoryNames[locale][category]).join(", ");
  const text = words[locale];
  const body = page.done
    ? htmlTemplate`<p>${text.done(names)}</p>`
    : htmlTemplate`<p>${text.ask(names)}</p>
<form method="post" action="?token=${page.token}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit" style="background:#1f2937;color:#fff;border:0;padding:12px 20px;border-radius:6px;font-size:15px;cursor:pointer">${text.button}</button></form>`;
  return htmlTemplate`<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><meta name="robots" content="noindex"><title>${text.title}</title></head>
<body style="margin:0;padding:24px;background:#f3f4f6;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#111827;font-size:15px;line-height:1.5">
<main style="max-width:480px;margin:0 auto;background:#fff;border-radius:8px;padding:32px"><h1 style="margin:0 0 16px;font-size:20px">${text.title}</h1>${markup(body)}</main>
</body></html>`;
}
