import { ApiError } from "@lodge/kit";
import type { Ctx } from "../deps";
import { getPreferences } from "./get-preferences";
import { putPreferences } from "./put-preferences";

/** Saves that lose to a concurrent save (409) before giving up to the bus's retry. */
const ATTEMPTS = 3;

/**
 * A user linked a Telegram chat (`telegram.linked`): linking is asking to be told things there, so
 * their Telegram notification channel is switched on when it is off (the defaults have it off,
 * as nobody can be reached on Telegram before linking), saved as any other change (a new version
 * and `user.preferences_updated`). Switching it off again in the settings stays off until the next
 * link. An account being deleted is left alone.
 */
export async function switchTelegramOn({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  for (let attempt = 1; ; attempt++) {
    try {
      const current = await getPreferences({ ctx, input });
      const telegram = current.preferences.notifications.telegram;
      if (telegram.enabled) return false;
      const notifications = { ...current.preferences.notifications, telegram: { ...telegram, enabled: true } };
      await putPreferences({ ctx, input: { userId: input.userId, version: current.version, preferences: { ...current.preferences, notifications } } });
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.code === "UNAUTHORIZED") return false;
      if (!(error instanceof ApiError && error.code === "CONFLICT") || attempt === ATTEMPTS) throw error;
    }
  }
}
