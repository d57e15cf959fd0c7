import { z } from "@hono/zod-openapi";

/** Canonical BCP 47 form of a language tag, or undefined when it is not one. */
export function canonicalLocale(value: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(value)[0];
  } catch {
    return undefined;
  }
}

/** The IANA time zone database's name for `value` (case-insensitively), or undefined: offsets like `+01:00` are not IANA names. */
export function canonicalTimeZone(value: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/.test(value)) return undefined;
  try {
    return new Intl.DateTimeFormat("en", { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

export const Locale = z
  .string()
  .min(2)
  .max(35)
  .refine((value) => canonicalLocale(value) !== undefined, "must be a BCP 47 language tag, e.g. en or pt-BR")
  .openapi({ example: "de-DE", description: "BCP 47 language tag (stored in canonical form)" });

export const TimeZone = z
  .string()
  .min(1)
  .max(64)
  .refine((value) => canonicalTimeZone(value) !== undefined, "must be an IANA time zone, e.g. Europe/Berlin")
  .openapi({ example: "Europe/Berlin", description: "IANA time zone name" });
