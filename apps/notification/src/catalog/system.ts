import { safeText } from "@lodge/kit";
import { z } from "zod";
import { emailHtml } from "./layout";
import { textTemplate as text } from "./template";
import { notificationType } from "./types";

/** An announcement to users (admins send it later through POST /notifications/send); its text is given, in one language. */
export const announcement = notificationType({
  key: "system.announcement",
  category: "product",
  critical: false,
  channels: ["in_app", "email"],
  data: z.object({
    title: safeText({ min: 1, max: 120, refuse: "format", trim: "first" }),
    body: safeText({ min: 1, max: 4000, refuse: "controls", multiline: true, trim: "first" }),
    link: z.url({ protocol: /^https?$/ }).optional(),
  }),
  sample: { title: "New: dark mode", body: "Lodge now has a dark theme.\nTurn it on in your settings.", link: "https://app.example.com/settings" },
  templates: {
    en: (data) => ({
      email: {
        subject: data.title,
        text: text`${data.body}\n${data.link ? text`\n${data.link}\n` : ""}`,
        html: emailHtml({
          heading: data.title,
          paragraphs: data.body.split("\n"),
          ...(data.link ? { action: { label: "Open", url: data.link } } : {}),
          footer: "You get product news because of your notification settings.",
        }),
      },
      inApp: { title: data.title, body: data.body, link: data.link ?? null },
    }),
    de: (data) => ({
      email: {
        subject: data.title,
        text: text`${data.body}\n${data.link ? text`\n${data.link}\n` : ""}`,
        html: emailHtml({
          heading: data.title,
          paragraphs: data.body.split("\n"),
          ...(data.link ? { action: { label: "Öffnen", url: data.link } } : {}),
          footer: "Du erhältst Produktneuigkeiten aufgrund deiner Benachrichtigungseinstellungen.",
        }),
      },
      inApp: { title: data.title, body: data.body, link: data.link ?? null },
    }),
  },
});
