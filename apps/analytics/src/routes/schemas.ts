import { z } from "@hono/zod-openapi";
import { isTimeZone, safeText } from "@lodge/kit";
import type { Site as SiteRow } from "../helpers/site-access";
import { isAddressOrRange, isPathPattern, normalizeDomain, normalizeOrigin } from "../helpers/site-rules";

export const bearer = [{ bearer: [] }];

/** The `{id}` of /analytics/sites/{id}/...: a site's id. */
export const SiteId = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" }, description: "The site's id" }) });

const Domain = z
  .string()
  .max(300)
  .transform((value, issue) => {
    const domain = normalizeDomain(value);
    if (domain === null) issue.addIssue({ code: "custom", message: "must be a host name (example.com), without a path or port" });
    return domain ?? value;
  })
  .openapi({ type: "string", description: "The site's host (a URL's host is taken, lowercased; no path)", example: "example.com" });

const TimeZone = z
  .string()
  .max(64)
  .refine(isTimeZone, "must be an IANA time zone (Europe/Berlin)")
  .openapi({ description: "IANA time zone of the site's days and intervals", example: "Europe/Berlin" });

const ExtraOrigins = z
  .array(
    z
      .string()
      .max(300)
      .transform((value, issue) => {
        const origin = normalizeOrigin(value);
        if (origin === null) issue.addIssue({ code: "custom", message: "must be an http(s) origin (https://app.example.net)" });
        return origin ?? value;
      })
      .openapi({ type: "string" }),
  )
  .max(50)
  .openapi({ description: "More origins whose pages may send the site's events (its domain's and subdomains' always may)" });

const ExcludedPaths = z
  .array(z.string().refine(isPathPattern, "must start with / (at most 300 characters)"))
  .max(100)
  .openapi({ description: "Paths whose events are dropped: `*` any characters but `/`, `**` any characters", example: ["/admin/**"] });

const ExcludedIps = z
  .array(z.string().max(64).refine(isAddressOrRange, "must be an IP address or CIDR range"))
  .max(100)
  .openapi({ description: "Client addresses or CIDR ranges whose events are dropped", example: ["203.0.113.0/24"] });

const fields = {
  domain: Domain,
  name: safeText({ min: 1, max: 200, refuse: "controls", trim: "first" }),
  timeZone: TimeZone,
  ownerId: z.uuid().nullable().openapi({ description: "A user who may read the site's stats besides admins" }),
  extraOrigins: ExtraOrigins,
  excludedPaths: ExcludedPaths,
  excludedIps: ExcludedIps,
};

export const SiteCreate = z
  .object({
    ...fields,
    timeZone: fields.timeZone.default("UTC"),
    ownerId: fields.ownerId.optional(),
    extraOrigins: fields.extraOrigins.default([]),
    excludedPaths: fields.excludedPaths.default([]),
    excludedIps: fields.excludedIps.default([]),
  })
  .strict()
  .openapi("AnalyticsSiteCreate");

export const SitePatch = z
  .object(
    Object.fromEntries(Object.entries(fields).map(([key, schema]) => [key, schema.optional()])) as {
      [K in keyof typeof fields]: z.ZodOptional<(typeof fields)[K]>;
    },
  )
  .strict()
  .openapi("AnalyticsSitePatch");

export const Site = z
  .object({
    id: z.uuid(),
    siteKey: z.string().openapi({ description: "Names the site in the script tag and on ingest (public, not a secret)" }),
    domain: z.string(),
    name: z.string(),
    timeZone: z.string(),
    ownerId: z.uuid().nullable(),
    extraOrigins: z.array(z.string()),
    excludedPaths: z.array(z.string()),
    excludedIps: z.array(z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("AnalyticsSite");

export const siteView = (row: SiteRow): z.infer<typeof Site> => ({
  id: row.id,
  siteKey: row.siteKey,
  domain: row.domain,
  name: row.name,
  timeZone: row.timeZone,
  ownerId: row.ownerId,
  extraOrigins: row.extraOrigins,
  excludedPaths: row.excludedPaths,
  excludedIps: row.excludedIps,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});
