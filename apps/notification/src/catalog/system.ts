import { safeText } from "@lodge/kit";
import { z } from "zod";
import { briefly, simpleEmail } from "./layout";
import { notificationType, type Rendered } from "./types";

const Announcement = z.object({
  title: safeText({ min: 1, max: 120, refuse: "format", trim: "first" }),
  body: safeText({ min: 1, max: 4000, refuse: "controls", multiline: true, trim: "first" }),
  link: z.url({ protocol: /^https?$/ }).optional(),
});

/** The announcement's own words, around a label and footer in the reader's language. */
const announcementIn =
  (words: { open: string; footer: string }) =>
  (data: z.infer<typeof Announcement>): Rendered => ({
    email: simpleEmail({
      subject: data.title,
      paragraphs: data.body.split("\n"),
      ...(data.link ? { action: { label: words.open, url: data.link } } : {}),
      footer: words.footer,
    }),
    ...briefly({ title: data.title, body: data.body, link: data.link ?? null }, words.open),
  });

/** An announcement to users (admins send it later through POST /notifications/send); its text is given, in one language. */
export const announcement = notificationType({
  key: "system.announcement",
  category: "product",
  critical: false,
  channels: ["in_app", "email", "web_push", "fcm", "telegram"],
  data: Announcement,
  sample: { title: "New: dark mode", body: "Lodge now has a dark theme.\nTurn it on in your settings.", link: "https://app.example.com/settings" },
  templates: {
    en: announcementIn({ open: "Open", footer: "You get product news because of your notification settings." }),
    de: announcementIn({ open: "Öffnen", footer: "Du erhältst Produktneuigkeiten aufgrund deiner Benachrichtigungseinstellungen." }),
  },
});
