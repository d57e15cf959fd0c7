/**
 * Wall-clock times in a time zone, with Intl only (Bun has no Temporal types in TypeScript yet).
 * A wall time is `YYYY-MM-DDTHH:mm[:ss]` without an offset; as a Date it is kept "floating": its
 * UTC fields are the wall fields (what `rrule` computes recurrences in).
 */

/** Whether Intl knows the IANA zone. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The wall time of an instant in `zone`, as a floating Date. */
export function wallTimeOf(instant: Date, zone: string): Date {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(instant)
      .map((part) => [part.type, Number(part.value)]),
  ) as Record<string, number>;
  const wall = Date.UTC(parts.year as number, (parts.month as number) - 1, parts.day, parts.hour, parts.minute, parts.second);
  return new Date(wall + instant.getUTCMilliseconds());
}

/**
 * The instant a floating wall time names in `zone`. A time skipped by a DST change (02:30 on the
 * spring-forward night) moves forward by the change (03:30); a time that happens twice (the
 * fall-back night) is its later occurrence.
 */
export function instantOf(wall: Date, zone: string): Date {
  const offset = (instant: number) => wallTimeOf(new Date(instant), zone).getTime() - instant;
  const first = wall.getTime() - offset(wall.getTime());
  const second = wall.getTime() - offset(first);
  return new Date(second === first ? first : Math.max(first, second));
}

/** A floating wall time as `YYYY-MM-DDTHH:mm:ss`. */
export function formatWallTime(wall: Date): string {
  return wall.toISOString().slice(0, 19);
}

/** `YYYY-MM-DDTHH:mm[:ss]` (no offset) as a floating Date; undefined when it is not one (or not a real date). */
export function parseWallTime(text: string): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0)) as number[];
  const wall = new Date(Date.UTC(year as number, (month as number) - 1, day, hour, minute, second));
  return formatWallTime(wall) === `${match.slice(1, 4).join("-")}T${match[4]}:${match[5]}:${match[6] ?? "00"}` ? wall : undefined;
}
