import { z } from "zod";
import { briefly, simpleEmail } from "./layout";
import { notificationType, type Rendered } from "./types";

const JobCompleted = z.object({
  jobId: z.uuid(),
  kind: z.enum(["chat", "image"]),
  status: z.enum(["succeeded", "failed", "cancelled"]),
  /** Where the frontend shows the job (APP_URL + NOTIFICATION_AI_JOB_PATH + its id). */
  link: z.url({ protocol: /^https?$/ }),
});
type JobCompleted = z.infer<typeof JobCompleted>;

/** The words for each kind and outcome, in one language. */
type Words = { open: string; footer: string; title: (data: JobCompleted) => string; body: (data: JobCompleted) => string };

const jobCompletedIn =
  (words: Words) =>
  (data: JobCompleted): Rendered => {
    const title = words.title(data);
    const body = words.body(data);
    return {
      email: simpleEmail({ subject: title, paragraphs: [body], action: { label: words.open, url: data.link }, footer: words.footer }),
      ...briefly({ title, body, link: data.link }, words.open),
    };
  };

const english: Words = {
  open: "Open",
  footer: "You get this because an AI job you started took a while; change it in your notification settings.",
  title: (data) =>
    `Your ${data.kind === "image" ? "image" : "AI answer"} ${data.status === "succeeded" ? "is ready" : data.status === "failed" ? "failed" : "was cancelled"}`,
  body: (data) =>
    data.status === "succeeded"
      ? `The ${data.kind === "image" ? "image" : "answer"} you asked for is ready.`
      : data.status === "failed"
        ? "The job could not be completed. You were not charged for what did not run."
        : "The job was cancelled before it finished.",
};

const german: Words = {
  open: "Öffnen",
  footer: "Du erhältst dies, weil ein von dir gestarteter KI-Auftrag länger gedauert hat; ändere es in deinen Benachrichtigungseinstellungen.",
  title: (data) =>
    `${data.kind === "image" ? "Dein Bild" : "Deine KI-Antwort"} ${data.status === "succeeded" ? "ist fertig" : data.status === "failed" ? "ist fehlgeschlagen" : "wurde abgebrochen"}`,
  body: (data) =>
    data.status === "succeeded"
      ? `${data.kind === "image" ? "Das Bild" : "Die Antwort"}, um das du gebeten hast, ist fertig.`
      : data.status === "failed"
        ? "Der Auftrag konnte nicht abgeschlossen werden. Was nicht lief, wird dir nicht berechnet."
        : "Der Auftrag wurde abgebrochen, bevor er fertig war.",
};

/** An async AI job (POST /ai/jobs) that ran over a minute ended: the user may have left, so it goes to the inbox too. */
export const aiJobCompleted = notificationType({
  key: "ai.job_completed",
  category: "ai",
  critical: false,
  channels: ["in_app", "email", "web_push", "fcm", "telegram"],
  data: JobCompleted,
  sample: {
    jobId: "01930000-0000-7000-8000-000000000001",
    kind: "image",
    status: "succeeded",
    link: "https://app.example.com/ai/jobs/01930000-0000-7000-8000-000000000001",
  },
  templates: { en: jobCompletedIn(english), de: jobCompletedIn(german) },
});
