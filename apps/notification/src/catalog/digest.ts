import { emailHtml } from "./layout";
import { textTemplate as text } from "./template";
import type { Locale } from "./types";

/** One notification as a digest lists it (what the inbox shows of it). */
export type DigestItem = { title: string; body: string; link: string | null };

const words = {
  en: {
    subject: (count: number) => (count === 1 ? "1 new notification" : `${count} new notifications`),
    intro: "Here is what happened since your last summary.",
    footer: "You get a summary instead of single messages because of your notification settings.",
  },
  de: {
    subject: (count: number) => (count === 1 ? "1 neue Benachrichtigung" : `${count} neue Benachrichtigungen`),
    intro: "Das ist seit deiner letzten Zusammenfassung passiert.",
    footer: "Du erhältst eine Zusammenfassung statt einzelner Nachrichten aufgrund deiner Benachrichtigungseinstellungen.",
  },
} satisfies Record<Locale, unknown>;

/** The email that carries a user's held notifications at once (a daily or weekly digest), in their language. */
export function digestEmail(locale: Locale, items: DigestItem[]) {
  const { subject, intro, footer } = words[locale];
  const entries = items.map((item) => (item.link ? text`${item.title}\n${item.body}\n${item.link}` : text`${item.title}\n${item.body}`));
  return {
    subject: subject(items.length),
    text: `${[intro, ...entries, footer].join("\n\n")}\n`,
    html: emailHtml({ heading: subject(items.length), paragraphs: [intro, ...entries], footer }),
  };
}
