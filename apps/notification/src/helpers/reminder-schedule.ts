import { parseWallTime } from "../helpers/local-time";
import { nextOccurrence, parseRepeat } from "../helpers/recurrence";

/** A stored reminder's recurrence, read back: the occurrence after `after`, or undefined for a one-off or an ended rule. */
export function occurrenceAfter(reminder: { repeat: string | null; startsAt: string; timeZone: string }, after: Date): Date | undefined {
  if (!reminder.repeat) return undefined;
  const start = parseWallTime(reminder.startsAt);
  if (!start) throw new Error(`stored reminder start ${reminder.startsAt} is not a wall time`);
  return nextOccurrence(parseRepeat(reminder.repeat, start).rule, reminder.timeZone, after);
}
