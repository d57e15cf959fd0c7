import type { EventRow } from "./event-row";

/** A product event: something a user did, tied to their id, outside any site. */
export type ProductEvent = { id: string; at: Date; userId: string; name: string; props: Record<string, string> };

/** The events table's row of a product event: no site, visitor, visit or page. */
export function productEventRow(event: ProductEvent): EventRow {
  return {
    id: event.id,
    ts: event.at.toISOString(),
    site_id: null,
    user_id: event.userId,
    name: event.name,
    visitor_id: null,
    visit_start: null,
    hostname: null,
    pathname: null,
    referrer: null,
    source: null,
    utm_medium: null,
    utm_campaign: null,
    utm_content: null,
    utm_term: null,
    browser: null,
    os: null,
    device: null,
    screen_width: null,
    props: event.props,
  };
}
