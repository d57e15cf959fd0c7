import { z } from "@hono/zod-openapi";
import { unsafeText } from "@lodge/kit";

/** The limits of one event's fields, the same for the tracker's ingest and POST /analytics/track. */
export const EVENT_LIMITS = {
  /** Events in one request. */
  batch: 100,
  /** A custom event name, in characters. */
  nameLength: 120,
  props: 30,
  propKeyBytes: 300,
  propValueBytes: 2000,
  /** A page's or referrer's URL, in characters. */
  urlLength: 2000,
} as const;

const bytes = (text: string) => Buffer.byteLength(text, "utf8");
/** Stored text: well-formed, and no control characters (Postgres refuses NUL in text and jsonb; lone surrogates in jsonb). */
const storable = (text: string) => unsafeText(text, { refuse: "controls", multiline: true }) === undefined;

/** `pageview` or a custom name. */
export const EventName = z
  .string()
  .trim()
  .min(1)
  .max(EVENT_LIMITS.nameLength)
  .refine(storable, "must not contain control characters")
  .openapi({ description: `\`pageview\` or a custom event name (≤ ${EVENT_LIMITS.nameLength} characters)`, example: "signup" });

/** String properties: at most 30, keys ≤ 300 bytes, values ≤ 2,000 bytes (UTF-8). */
export const EventProps = z
  .record(z.string(), z.string())
  .superRefine((props, issue) => {
    const entries = Object.entries(props);
    if (entries.length > EVENT_LIMITS.props) issue.addIssue({ code: "custom", message: `at most ${EVENT_LIMITS.props} properties` });
    for (const [key, value] of entries) {
      if (key.length === 0 || bytes(key) > EVENT_LIMITS.propKeyBytes || !storable(key)) {
        issue.addIssue({ code: "custom", path: [key], message: `a property name is 1 to ${EVENT_LIMITS.propKeyBytes} bytes of text` });
      } else if (bytes(value) > EVENT_LIMITS.propValueBytes || !storable(value)) {
        issue.addIssue({ code: "custom", path: [key], message: `a property value is at most ${EVENT_LIMITS.propValueBytes} bytes of text` });
      }
    }
  })
  .openapi({
    description: `String properties (≤ ${EVENT_LIMITS.props}; names ≤ ${EVENT_LIMITS.propKeyBytes} bytes, values ≤ ${EVENT_LIMITS.propValueBytes} bytes)`,
  });

/** An http(s) URL, parsed once: the check's parse is the value (the ingest reads the page from it). */
const httpUrl = (text: string, context: z.RefinementCtx) => {
  try {
    const url = new URL(text);
    if (url.protocol === "http:" || url.protocol === "https:") return url;
  } catch {}
  context.addIssue({ code: "custom", message: "must be an http(s) URL" });
  return z.NEVER;
};

/** One event as the tracker sends it (POST /analytics/events): the fields beyond the name and props describe the page view. */
export const WebEventFields = z.object({
  name: EventName,
  url: z.string().max(EVENT_LIMITS.urlLength).transform(httpUrl).openapi({ description: "The page's URL (location.href)" }),
  referrer: z.string().max(EVENT_LIMITS.urlLength).nullish().openapi({ description: "document.referrer (an unreadable one counts as none)" }),
  props: EventProps.optional(),
  screenWidth: z.number().int().min(0).max(32767).nullish().openapi({ description: "screen.width, in CSS pixels" }),
  ts: z
    .union([z.number().int().nonnegative(), z.iso.datetime({ offset: true })])
    .optional()
    .openapi({ description: "When it happened on the client (ms since the epoch, or ISO 8601); clamped to the server's clock ± the allowed skew" }),
});

export type WebEventInput = z.infer<typeof WebEventFields>;

/** Why an event of a batch was dropped: the first field it failed on (`invalid_url`), or another reason (`bot`, `excluded_path`, ...). */
export function invalidFieldReason(error: z.ZodError): string {
  const field = error.issues[0]?.path[0];
  return typeof field === "string" ? `invalid_${field}` : "invalid_event";
}
