import { z } from "@hono/zod-openapi";
import { ApiError } from "@lodge/kit";
import { type SQL, sql } from "drizzle-orm";
import { PERIODS } from "./periods";

/** The events' column each filter compares (`prop:<key>` compares the property `key`). */
const FILTER_COLUMNS = {
  page: sql`pathname`,
  source: sql`source`,
  referrer: sql`referrer`,
  utm_medium: sql`utm_medium`,
  utm_campaign: sql`utm_campaign`,
  utm_content: sql`utm_content`,
  utm_term: sql`utm_term`,
  browser: sql`browser`,
  os: sql`os`,
  device: sql`device`,
  name: sql`name`,
} as const;
type FilterName = keyof typeof FILTER_COLUMNS;
export const FILTER_NAMES = Object.keys(FILTER_COLUMNS) as FilterName[];

/** One filter: the events whose column (or property) is one of `values` (`page`: patterns), or, negated, none of them. */
export type Filter = { dimension: FilterName | `prop:${string}`; negated: boolean; values: string[] };

const MAX_FILTERS = 20;
const MAX_VALUES = 20;
const MAX_VALUE_LENGTH = 2000;

const filterDescription =
  "Only events with this value (`a|b`: either). Negate with `!=` (`browser!=Chrome`, sent as the parameter `browser!`). Properties: `prop:<key>=value`.";

/**
 * The query every stats route takes: the period (in the site's time zone), the filters, and a
 * share link's token. Filter parameters not listed here (`prop:<key>`, negations `<name>!`) are read
 * from the raw query by `parseFilters`, which refuses any other parameter.
 */
export const StatsQuery = z.object({
  period: z.enum(PERIODS).default("30d").openapi({ description: "realtime (the last 5 minutes), day, 7d, 30d, month, 12mo or custom (from/to)" }),
  date: z.string().optional().openapi({ description: "The day the period ends on or falls in (YYYY-MM-DD, site-local; default today)" }),
  from: z.string().optional().openapi({ description: "custom: the first day (YYYY-MM-DD), included" }),
  to: z.string().optional().openapi({ description: "custom: the last day (YYYY-MM-DD), included" }),
  share: z.string().max(200).optional().openapi({ description: "A shared stats link's token (or the x-lodge-share header)" }),
  ...(Object.fromEntries(
    FILTER_NAMES.map((name) => [
      name,
      z
        .string()
        .optional()
        .openapi({
          description: name === "page" ? `${filterDescription} Paths may use \`*\` (any characters but /) and \`**\` (any characters).` : filterDescription,
        }),
    ]),
  ) as Record<FilterName, z.ZodOptional<z.ZodString>>),
});

const invalid = (path: string, message: string) =>
  new ApiError({ code: "VALIDATION_FAILED", message: `Invalid ${path}: ${message}`, details: [{ path, message }] });

/** Whether a text holds control characters (refused: Postgres text cannot hold NUL, and no value needs them). */
export const hasControls = (text: string) => [...text].some((character) => character.charCodeAt(0) < 32 || character.charCodeAt(0) === 127);

/**
 * The filters of a stats query: every parameter that is not one of `others` (the route's own:
 * period, interval, ...) must be a filter (`page`, `browser!`, `prop:plan`, ...); anything else,
 * a repeated parameter or a malformed value is 422.
 */
export function parseFilters(params: URLSearchParams, others: readonly string[]): Filter[] {
  const known = new Set(others);
  const filters: Filter[] = [];
  const seen = new Set<string>();
  for (const [key, value] of params) {
    if (seen.has(key)) throw invalid(key, "given more than once");
    seen.add(key);
    if (known.has(key)) continue;
    const negated = key.endsWith("!");
    const dimension = negated ? key.slice(0, -1) : key;
    const isProperty = dimension.startsWith("prop:") && dimension.length > 5 && dimension.length <= 305 && !hasControls(dimension);
    if (!isProperty && !(FILTER_NAMES as string[]).includes(dimension)) {
      throw invalid(key, `unknown parameter; filters are ${FILTER_NAMES.join(", ")} and prop:<key> (negated with a trailing !)`);
    }
    const values = value.split("|");
    if (values.length > MAX_VALUES) throw invalid(key, `at most ${MAX_VALUES} alternatives`);
    for (const one of values) {
      if (one.length === 0 || one.length > MAX_VALUE_LENGTH) throw invalid(key, `each value has 1 to ${MAX_VALUE_LENGTH} characters`);
      if (hasControls(one) || !one.isWellFormed()) throw invalid(key, "control characters or malformed text");
    }
    filters.push({ dimension: dimension as Filter["dimension"], negated, values });
  }
  if (filters.length > MAX_FILTERS) throw invalid("filters", `at most ${MAX_FILTERS}`);
  return filters;
}

/** A page pattern as a regular expression: `**` any characters, `*` any but `/`, the rest literal. */
function pagePattern(pattern: string): string {
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return `^${pattern
    .split("**")
    .map((part) => part.split("*").map(literal).join("[^/]*"))
    .join(".*")}$`;
}

/** One condition on `analytics.events`' columns for all the filters (true without any); a negation also keeps events without the value. */
export function filterSql(filters: readonly Filter[]): SQL {
  if (filters.length === 0) return sql`true`;
  const conditions = filters.map(({ dimension, negated, values }) => {
    const column = dimension.startsWith("prop:") ? sql`(props ->> ${dimension.slice(5)})` : FILTER_COLUMNS[dimension as FilterName];
    const texts = sql.join(
      values.map((value) => sql`${dimension === "page" ? pagePattern(value) : value}`),
      sql`, `,
    );
    const matches = dimension === "page" ? sql`(${column} ~ any(array[${texts}]::text[]))` : sql`(${column} = any(array[${texts}]::text[]))`;
    return negated ? sql`(${column} is null or not ${matches})` : matches;
  });
  return sql.join(conditions, sql` and `);
}
