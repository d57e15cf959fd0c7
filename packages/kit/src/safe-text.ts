import { z } from "@hono/zod-openapi";

/**
 * Characters a text field refuses, from least to most strict (each a character class):
 * - `controls`: C0/C1 controls and the bidi overrides and isolates (the "\u202Eevil" trick);
 * - `format`: every control and format character (also zero-width ones, soft hyphens, BOMs);
 * - `invisible`: also private-use and unassigned code points and the line/paragraph separators,
 *   for names shown to someone else (a file name in a download dialog).
 */
const refusedClasses = {
  controls: String.raw`\p{Cc}\u202A-\u202E\u2066-\u2069`,
  format: String.raw`\p{Cc}\p{Cf}`,
  invisible: String.raw`\p{Cc}\p{Cf}\p{Co}\p{Cn}\u2028\u2029`,
} as const;
const refused = Object.fromEntries(Object.entries(refusedClasses).map(([level, characters]) => [level, new RegExp(`[${characters}]`, "u")])) as Record<
  Refused,
  RegExp
>;

export type Refused = keyof typeof refusedClasses;

export type TextRules = {
  refuse: Refused;
  /** Line feeds allowed (a bio); every other control still refused. */
  multiline?: boolean;
  /** Lone surrogates refused (the default); a field that predates this rule keeps accepting them. */
  wellFormed?: boolean;
};

/** The one wording of each problem, in zod issues and error details alike. */
export const textProblems = { malformed: "must be valid Unicode", characters: "must not contain control characters" } as const;

/** What makes `value` unsafe text under `rules`, or undefined when it is fine: for callers outside zod (a file name from a header). */
export function unsafeText(value: string, rules: TextRules): keyof typeof textProblems | undefined {
  if (!wellFormedEnough(value, rules)) return "malformed";
  if (hasRefused(value, rules)) return "characters";
  return undefined;
}

const wellFormedEnough = (value: string, rules: TextRules) => rules.wellFormed === false || value.isWellFormed();
const hasRefused = (value: string, rules: TextRules) => refused[rules.refuse].test(rules.multiline ? value.replaceAll("\n", "") : value);

export type SafeTextOptions = TextRules & {
  /** Length bounds of the trimmed text, in UTF-16 code units (zod's count). */
  min?: number;
  max: number;
  /**
   * `first`: trimmed, then measured and checked, so whitespace controls at the ends are dropped
   * rather than refused; the OpenAPI document shows the refused characters as a `pattern`.
   * `last`: the text as sent is checked (and refused past 4× `max` before any scan), then trimmed and measured.
   */
  trim: "first" | "last";
};

/** A printable, bounded, trimmed string: the one rule for free text in every service. */
export function safeText(options: SafeTextOptions) {
  const min = options.min ?? 0;
  if (options.trim === "last") {
    return z
      .string()
      .max(options.max * 4)
      .refine((value) => wellFormedEnough(value, options), textProblems.malformed)
      .refine((value) => !hasRefused(value, options), textProblems.characters)
      .transform((value) => value.trim())
      .pipe(z.string().min(min).max(options.max));
  }
  const allowed = options.multiline ? `(?:\\n|[^${refusedClasses[options.refuse]}])` : `[^${refusedClasses[options.refuse]}]`;
  const checked = z
    .string()
    .trim()
    .min(min)
    .max(options.max)
    .regex(new RegExp(`^${allowed}*$`, "u"), textProblems.characters);
  return options.wellFormed === false ? checked : checked.refine((value) => value.isWellFormed(), textProblems.malformed);
}
