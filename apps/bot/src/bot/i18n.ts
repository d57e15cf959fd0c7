import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { I18n } from "@grammyjs/i18n";
import type { BotContext } from "./context";

/** The languages the bot speaks (`locales/<language>/*.ftl`, one file per feature); English is the fallback. */
export const botLanguages = ["en", "de"] as const;
export type BotLanguage = (typeof botLanguages)[number];

/** The bot's language for a BCP 47 tag (`de-AT` → `de`), English when it does not speak it. */
export function botLanguageOf(tag: string | null | undefined): BotLanguage {
  const base = tag?.toLowerCase().split("-")[0];
  return botLanguages.find((language) => language === base) ?? "en";
}

/**
 * Fluent translations: a linked chat speaks its user's language (from their preferences), another
 * Telegram's `language_code`. Variables are not wrapped in Unicode isolation marks (Telegram shows
 * them as stray characters).
 */
export function createI18n() {
  const i18n = new I18n<BotContext>({
    defaultLocale: "en",
    fluentBundleOptions: { useIsolating: false },
    localeNegotiator: (ctx) => botLanguageOf(ctx.link?.language ?? ctx.from?.language_code),
  });
  for (const language of botLanguages) {
    const directory = join(import.meta.dir, "locales", language);
    const source = readdirSync(directory)
      .filter((file) => file.endsWith(".ftl"))
      .sort()
      .map((file) => readFileSync(join(directory, file), "utf8"))
      .join("\n");
    i18n.loadLocaleSync(language, { source, isDefault: language === "en" });
  }
  return i18n;
}
