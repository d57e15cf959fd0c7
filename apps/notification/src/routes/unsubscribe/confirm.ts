import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { ApiError, type AppEnv, ctxOf, errorResponses } from "@lodge/kit";
import { bodyLimit } from "hono/body-limit";
import { unsubscribePage } from "../../catalog/unsubscribe-page";
import type { NotificationDeps } from "../../deps";
import { unsubscribe } from "../../services/unsubscribe";
import { htmlPage, servePage, UnsubscribeToken } from "./schemas";

/** RFC 8058's body, as a mail client's one-click POST (or the page's button) sends it. */
const OneClick = z.object({ "List-Unsubscribe": z.literal("One-Click") });
const form = { schema: OneClick };

/** The body is a form, not JSON (the kit lets this route through, see service.ts), so its size is limited here. */
export const ONE_CLICK_MAX_BYTES = 1024;

export const confirmUnsubscribeRoute = createRoute({
  method: "post",
  path: "/notifications/unsubscribe",
  tags: ["preferences"],
  summary: "One-click unsubscribe (RFC 8058): turns off email for the token's categories",
  description:
    "Public (the signed token is the authorization). The body is `List-Unsubscribe=One-Click`, form-encoded (`application/x-www-form-urlencoded` or `multipart/form-data`). Sets the same choice as `PUT /notifications/preferences` with `{<category>: {email: false}}`; again changes nothing more. A token that was not signed by this service is 403; more than `NOTIFICATION_UNSUBSCRIBE_PER_MINUTE` (30) requests a minute from one IP are 429.",
  request: {
    query: UnsubscribeToken,
    body: { required: true, content: { "application/x-www-form-urlencoded": form, "multipart/form-data": form } },
  },
  responses: { 200: htmlPage("Unsubscribed: a page saying so"), ...errorResponses(403, 429) },
});

export const limitOneClickBody = bodyLimit({
  maxSize: ONE_CLICK_MAX_BYTES,
  onError: () => {
    throw new ApiError({ code: "PAYLOAD_TOO_LARGE", message: `Body is larger than ${ONE_CLICK_MAX_BYTES} bytes` });
  },
});

export const confirmUnsubscribe =
  (deps: NotificationDeps): RouteHandler<typeof confirmUnsubscribeRoute, AppEnv> =>
  async (c) => {
    const { token } = c.req.valid("query");
    const link = await unsubscribe({ ctx: ctxOf(c, deps), input: { token } });
    return servePage(c, unsubscribePage(link.locale, { categories: link.categories, token, done: true })) as never;
  };
