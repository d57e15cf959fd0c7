/**
 * Floating wall times (`YYYY-MM-DDTHH:mm[:ss]`, no offset) as reminders store them: as a Date, its
 * UTC fields are the wall fields (what `rrule` computes recurrences in). The kit's `wallTimeOf` and
 * `instantOf` convert them to and from instants in a zone.
 */

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
