import { botLanguages, createI18n } from "./i18n";

/** The commands shown in Telegram's menu, in the order shown. */
const menu = ["ask", "new", "remind", "reminders", "settings", "whoami", "unlink", "help"] as const;

/** The menu per language, described with the `command-<name>` translations (English is also the default for other languages). */
export function botCommands() {
  const i18n = createI18n();
  return botLanguages.map((language) => ({
    language,
    commands: menu.map((command) => ({ command, description: i18n.t(language, `command-${command}`) })),
  }));
}
