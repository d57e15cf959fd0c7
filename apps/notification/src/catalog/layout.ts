import { htmlTemplate, markup } from "./template";

/**
 * The HTML of every email: a heading, paragraphs, an optional button-like link (shown as its URL
 * too, for clients that drop links) and a footer line. Inline styles only (email clients ignore
 * style sheets); every value is escaped by `htmlTemplate`.
 */
export function emailHtml(content: { heading: string; paragraphs: string[]; action?: { label: string; url: string }; footer: string }): string {
  const paragraphs = content.paragraphs.map((paragraph) => htmlTemplate`<p style="margin:0 0 16px;white-space:pre-line">${paragraph}</p>`).join("");
  const action = content.action
    ? htmlTemplate`<p style="margin:24px 0"><a href="${content.action.url}" style="background:#1f2937;color:#ffffff;padding:12px 20px;border-radius:6px;text-decoration:none">${content.action.label}</a></p><p style="margin:0 0 16px;font-size:13px;color:#4b5563;word-break:break-all">${content.action.url}</p>`
    : "";
  return htmlTemplate`<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head>
<body style="margin:0;padding:24px;background:#f3f4f6;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#111827;font-size:15px;line-height:1.5">
<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:32px">
<h1 style="margin:0 0 24px;font-size:20px">${content.heading}</h1>
${markup(paragraphs)}${markup(action)}<p style="margin:24px 0 0;font-size:12px;color:#6b7280">${content.footer}</p>
</div></body></html>`;
}

/**
 * The email most types send: the subject as heading (unless given), paragraphs, an optional link
 * and a footer; the text part says the same in the same order, the link on its own line. The HTML
 * is built when first read: a send renders every template for its in-app text, and only the email
 * delivery reads the HTML.
 */
export function simpleEmail(content: { subject: string; heading?: string; paragraphs: string[]; action?: { label: string; url: string }; footer: string }) {
  const text = [...content.paragraphs, ...(content.action ? [content.action.url] : []), content.footer].join("\n\n");
  let html: string | undefined;
  return {
    subject: content.subject,
    text: `${text}\n`,
    get html() {
      html ??= emailHtml({ ...content, heading: content.heading ?? content.subject });
      return html;
    },
  };
}

/**
 * The short forms most types send, all saying the same: the inbox entry, the push notification,
 * and the Telegram message (its title in bold, its body, its link under `linkLabel`; Telegram's
 * HTML parse mode, every value escaped by `htmlTemplate`).
 */
export function briefly(message: { title: string; body: string; link: string | null }, linkLabel: string) {
  const link = message.link ? htmlTemplate`\n\n<a href="${message.link}">${linkLabel}</a>` : "";
  return { inApp: message, push: message, telegram: htmlTemplate`<b>${message.title}</b>\n\n${message.body}${markup(link)}` };
}
