import type { SendRendered } from "../channels/types";
import { emailHtml } from "./layout";
import { htmlTemplate, markup, textTemplate as text } from "./template";
import type { Locale } from "./types";

/** One notification as a digest lists it (what the inbox shows of it). */
type DigestItem = { title: string; body: string; link: string | null };

const words = {
  en: {
    subject: (count: number) => (count === 1 ? "1 new notification" : `${count} new notifications`),
    intro: "Here is what happened since your last summary.",
    open: "Open your notifications",
    footer: "You get a summary instead of single messages because of your notification settings.",
  },
  de: {
    subject: (count: number) => (count === 1 ? "1 neue Benachrichtigung" : `${count} neue Benachrichtigungen`),
    intro: "Das ist seit deiner letzten Zusammenfassung passiert.",
    open: "Benachrichtigungen öffnen",
    footer: "Du erhältst eine Zusammenfassung statt einzelner Nachrichten aufgrund deiner Benachrichtigungseinstellungen.",
  },
} satisfies Record<Locale, unknown>;

/**
 * The one message that carries a user's held notifications (a daily or weekly digest), in their
 * language, for every channel: an email listing each (title, body, link), a push naming the count
 * and the titles, a Telegram message listing the titles; the latter two link to the inbox.
 */
export function renderDigest(locale: Locale, items: DigestItem[], inboxLink: string): SendRendered {
  const { subject, intro, open, footer } = words[locale];
  const entries = items.map((item) => (item.link ? text`${item.title}\n${item.body}\n${item.link}` : text`${item.title}\n${item.body}`));
  const titles = items.map((item) => item.title);
  const listed = titles.map((title) => htmlTemplate`• ${title}`).join("\n");
  return {
    email: {
      subject: subject(items.length),
      text: `${[intro, ...entries, open, inboxLink, footer].join("\n\n")}\n`,
      html: emailHtml({ heading: subject(items.length), paragraphs: [intro, ...entries], action: { label: open, url: inboxLink }, footer }),
    },
    push: { title: subject(items.length), body: titles.join(" · "), link: inboxLink },
    telegram: htmlTemplate`<b>${subject(items.length)}</b>\n\n${markup(listed)}\n\n<a href="${inboxLink}">${open}</a>`,
  };
}
