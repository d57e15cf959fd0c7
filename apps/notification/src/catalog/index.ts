import { aiJobCompleted } from "./ai";
import { passwordChanged, passwordReset, suspiciousRefresh, verifyEmail } from "./auth";
import { reminder } from "./reminders";
import { announcement } from "./system";
import { type Category, categories, defaultLocale, type Locale, locales, type NotificationType, type RenderContext, type Rendered } from "./types";

export * from "./types";

/** Every notification type, by key. Adding one: declare it beside its kin and list it here; the catalog test renders it. */
export const notificationTypes = {
  [verifyEmail.key]: verifyEmail,
  [passwordReset.key]: passwordReset,
  [passwordChanged.key]: passwordChanged,
  [suspiciousRefresh.key]: suspiciousRefresh,
  [announcement.key]: announcement,
  [reminder.key]: reminder,
  [aiJobCompleted.key]: aiJobCompleted,
} as Record<string, NotificationType>;

export const typeKeys = Object.keys(notificationTypes);

/** Categories whose every type is critical: always delivered, so they cannot be turned off. */
export const lockedCategories: readonly Category[] = categories.filter((category) => {
  const types = Object.values(notificationTypes).filter((type) => type.category === category);
  return types.length > 0 && types.every((type) => type.critical);
});

export function typeNamed(key: string): NotificationType {
  const type = notificationTypes[key];
  if (!type) throw new Error(`unknown notification type ${key}`);
  return type;
}

/** The user's language when the catalog has it, otherwise English. */
export function localeFor(language: string | null | undefined): Locale {
  const base = language?.toLowerCase().split(/[-_]/)[0];
  return (locales as readonly string[]).includes(base ?? "") ? (base as Locale) : defaultLocale;
}

/** Renders a type's data (validated against its schema first) in a locale. */
export function render(type: NotificationType, data: unknown, locale: Locale, context: RenderContext): Rendered {
  return renderParsed(type, type.data.parse(data), locale, context);
}

/** Renders data that its type's schema already gave (a send parses it once, then renders it per language). */
export function renderParsed(type: NotificationType, data: unknown, locale: Locale, context: RenderContext): Rendered {
  return type.templates[locale](data, context);
}
