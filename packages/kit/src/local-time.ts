/**
 * Wall-clock times in a user's time zone, with Temporal (built into Bun): "09:00 in Berlin" is
 * 08:00Z in winter and 07:00Z in summer, and a day across a DST change has 23 or 25 hours.
 * A local time that does not exist (02:30 on the spring-forward night) moves forward, as people
 * expect of an alarm clock.
 */

/** `HH:MM`, 24-hour. */
export type TimeOfDay = string;

/** Whether the runtime knows this IANA zone (`Europe/Berlin`). */
export function isTimeZone(timeZone: string): boolean {
  try {
    Temporal.Now.zonedDateTimeISO(timeZone);
    return true;
  } catch {
    return false;
  }
}

function zoned(at: Date, timeZone: string): Temporal.ZonedDateTime {
  return Temporal.Instant.fromEpochMilliseconds(at.getTime()).toZonedDateTimeISO(timeZone);
}

/**
 * The wall time of an instant in `timeZone` as a "floating" Date, whose UTC fields are the wall
 * clock's (what `rrule` computes recurrences in).
 */
export function wallTimeOf(instant: Date, timeZone: string): Date {
  const wall = zoned(instant, timeZone);
  return new Date(Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second, wall.millisecond));
}

/**
 * The instant a floating wall time names in `timeZone`: a time the clock skips moves forward by
 * the change; a time that happens twice (the fall-back night) is its first occurrence (RFC 5545).
 */
export function instantOf(wall: Date, timeZone: string): Date {
  const plain = new Temporal.PlainDateTime(
    wall.getUTCFullYear(),
    wall.getUTCMonth() + 1,
    wall.getUTCDate(),
    wall.getUTCHours(),
    wall.getUTCMinutes(),
    wall.getUTCSeconds(),
    wall.getUTCMilliseconds(),
  );
  return new Date(plain.toZonedDateTime(timeZone, { disambiguation: "compatible" }).epochMilliseconds);
}

function minutesOf(time: TimeOfDay): number {
  const [hours, minutes] = time.split(":").map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

/**
 * The first moment after `after` at which the clock in `timeZone` shows `time`; with `weekday`
 * (1 Monday … 7 Sunday), on that day of the week.
 */
export function nextLocalTime(after: Date, timeZone: string, time: TimeOfDay, weekday?: number): Date {
  const now = zoned(after, timeZone);
  const plainTime = Temporal.PlainTime.from(time);
  let day = now.toPlainDate();
  for (;;) {
    const candidate = day.toZonedDateTime({ timeZone, plainTime });
    const onDay = weekday === undefined || day.dayOfWeek === weekday;
    if (onDay && Temporal.ZonedDateTime.compare(candidate, now) > 0) return new Date(candidate.epochMilliseconds);
    day = day.add({ days: 1 });
  }
}

/**
 * When the quiet hours around `at` end, or null when `at` is outside them. `start`–`end` may wrap
 * midnight (22:00–07:00); equal times mean no quiet hours.
 */
export function quietHoursEnd(at: Date, timeZone: string, quietHours: { start: TimeOfDay; end: TimeOfDay }): Date | null {
  const start = minutesOf(quietHours.start);
  const end = minutesOf(quietHours.end);
  const local = zoned(at, timeZone);
  const now = local.hour * 60 + local.minute;
  const inside = start < end ? now >= start && now < end : start > end && (now >= start || now < end);
  return inside ? nextLocalTime(at, timeZone, quietHours.end) : null;
}
