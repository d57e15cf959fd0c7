import { safeText } from "@lodge/kit";
import { z } from "zod";
import { briefly, simpleEmail } from "./layout";
import { textTemplate as text } from "./template";
import { formatTime, notificationType, type RenderContext, type Rendered } from "./types";

/** The longest reminder text (POST /notifications/reminders refuses longer ones). */
const REMINDER_TEXT_MAX = 500;

/** A reminder's text: its rule at POST /notifications/reminders and on rendering. */
export const ReminderText = safeText({ min: 1, max: REMINDER_TEXT_MAX, refuse: "controls", multiline: true, trim: "first" });

const Reminder = z.object({
  text: ReminderText,
  /** The occurrence it is for. */
  at: z.iso.datetime(),
});

/** The user's own words, in a subject cut to one line, around a label in the reader's language. */
const reminderIn =
  (words: { label: string; footer: string; locale: "en" | "de" }) =>
  (data: z.infer<typeof Reminder>, context: RenderContext): Rendered => {
    const firstLine = data.text.split("\n")[0] ?? data.text;
    const title = text`${words.label}: ${firstLine.length > 80 ? `${firstLine.slice(0, 79)}…` : firstLine}`;
    return {
      email: simpleEmail({
        subject: title,
        heading: words.label,
        paragraphs: [...data.text.split("\n"), formatTime(data.at, words.locale, context)],
        footer: words.footer,
      }),
      ...briefly({ title, body: data.text, link: null }, ""),
    };
  };

/** A reminder the user set for themselves (POST /notifications/reminders), at its time or on its repeat. */
export const reminder = notificationType({
  key: "reminder",
  category: "reminders",
  critical: false,
  channels: ["in_app", "email", "web_push", "fcm", "telegram"],
  data: Reminder,
  sample: { text: "Call the plumber\nabout the kitchen sink", at: "2026-10-25T08:00:00.000Z" },
  templates: {
    en: reminderIn({ label: "Reminder", footer: "You set this reminder yourself; delete it in your reminders.", locale: "en" }),
    de: reminderIn({ label: "Erinnerung", footer: "Du hast diese Erinnerung selbst gestellt; lösche sie in deinen Erinnerungen.", locale: "de" }),
  },
});
