/** Whether an If-None-Match header names `etag` (or is `*`): RFC 9110's weak comparison, so `W/"x"` names `"x"`. */
export function etagMatches(ifNoneMatch: string | null | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.trim() === "*" || ifNoneMatch.split(",").some((candidate) => candidate.trim().replace(/^W\//, "") === etag);
}
