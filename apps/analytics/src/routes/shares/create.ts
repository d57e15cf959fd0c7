import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { SHARE_HEADER } from "../../helpers/site-access";
import { createSiteShare } from "../../services/create-site-share";
import { bearer, SiteId } from "../schemas";
import { Share, ShareCreate, shareView } from "./schemas";

export const createShareRoute = createRoute({
  method: "post",
  path: "/analytics/sites/{id}/shares",
  tags: ["shares"],
  summary: "Create a read-only link to the site's stats (its owner or an admin)",
  description: `The token is shown this once (only its hash is kept). Every stats route of the site accepts it as \`?share=TOKEN\` or in the \`${SHARE_HEADER}\` header, until the link is revoked.`,
  security: bearer,
  request: { params: SiteId, body: jsonBody(ShareCreate) },
  responses: {
    201: jsonResponse(
      Share.extend({
        token: z.string().openapi({ description: "The link's secret (256 random bits, base64url); not shown again" }),
        url: z.string().openapi({ description: "The site's stats with the token (ANALYTICS_PUBLIC_URL + /analytics/sites/{id}/stats?share=TOKEN)" }),
      }),
      "The link, with its token",
    ),
    ...errorResponses(401, 403, 404),
  },
});

export const create =
  (deps: AnalyticsDeps): RouteHandler<typeof createShareRoute, AppEnv> =>
  async (c) => {
    const { id } = c.req.valid("param");
    const { share, token } = await createSiteShare({ ctx: ctxOf(c, deps), input: { siteId: id, label: c.req.valid("json").label, by: c.get("principal") } });
    const url = `${deps.env.ANALYTICS_PUBLIC_URL}/analytics/sites/${share.siteId}/stats?share=${token}`;
    return c.json({ ...shareView(share), token, url }, 201);
  };
