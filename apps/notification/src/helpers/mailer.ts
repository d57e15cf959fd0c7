import type { Logger } from "@lodge/kit";
import { createTransport } from "nodemailer";

/** `unsubscribeUrl`: sent as List-Unsubscribe with List-Unsubscribe-Post (RFC 8058 one-click). */
export type Email = { to: string; subject: string; text: string; html: string; messageId: string; unsubscribeUrl?: string };

/** Sends one email (multipart text + HTML under the given Message-ID), or rejects. */
export type Mailer = { kind: "smtp" | "log"; send: (email: Email) => Promise<void>; close: () => void };

/**
 * Over SMTP (nodemailer, one pooled transport) when SMTP_URL is set. Without it (development),
 * each email is written to the log as one readable block, its link included, so a password can be
 * reset from the quick start without a mail server.
 */
export function createMailer(options: { smtpUrl?: string; from: string; logger: Logger }): Mailer {
  const { smtpUrl, from, logger } = options;
  if (!smtpUrl) {
    return {
      kind: "log",
      send: async (email) => {
        logger.info(
          { to: email.to, messageId: email.messageId },
          `email not sent (no SMTP_URL), as it would be:\n  To: ${email.to}\n  Subject: ${email.subject}${email.unsubscribeUrl ? `\n  List-Unsubscribe: <${email.unsubscribeUrl}>` : ""}\n\n${email.text}`,
        );
      },
      close: () => {},
    };
  }
  const transport = createTransport({ url: smtpUrl, pool: true, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 });
  return {
    kind: "smtp",
    send: async (email) => {
      await transport.sendMail({
        from,
        to: email.to,
        subject: email.subject,
        text: email.text,
        html: email.html,
        messageId: email.messageId,
        headers: email.unsubscribeUrl ? oneClickUnsubscribe(email.unsubscribeUrl) : {},
      });
    },
    close: () => transport.close(),
  };
}

/** RFC 2369's List-Unsubscribe with RFC 8058's one-click POST (what Gmail and Yahoo ask of bulk senders). */
function oneClickUnsubscribe(url: string) {
  return { "List-Unsubscribe": `<${url}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" };
}

/** `<delivery-id@domain of MAIL_FROM>`: the same for every attempt of a delivery, so a rare duplicate is recognisable. */
export function messageIdFor(deliveryId: string, from: string): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? "localhost";
  return `<${deliveryId}@${domain}>`;
}
