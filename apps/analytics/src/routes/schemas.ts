import { z } from "@hono/zod-openapi";

export const bearer = [{ bearer: [] }];

/** The `{id}` of /analytics/sites/{id}/...: a site's id. */
export const SiteId = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" }, description: "The site's id" }) });
