import { Composer } from "grammy";
import type { BotContext } from "../../context";
import { whenUnavailable } from "../../unavailable";
import { cancelFromList, showReminders } from "./list";
import { remind } from "./remind";

/** `/remind <when> <text>`, `/reminders` and their cancel buttons (`rm:` callback data), through the notification service. */
export function reminders() {
  const composer = new Composer<BotContext>();
  const guarded = composer.errorBoundary(whenUnavailable);
  guarded.command("remind", remind);
  guarded.command("reminders", showReminders);
  guarded.callbackQuery(/^rm:/, cancelFromList);
  return composer;
}
