import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses } from "@lodge/kit";
import { unsubscribePage } from "../../catalog/unsubscribe-page";
import type { NotificationDeps } from "../../deps";
import { readUnsubscribeToken } from "../../services/read-unsubscribe-token";
import { htmlPage, servePage, UnsubscribeToken } from "./schemas";

export const showUnsubscribeRoute = createRoute({
  method: "get",
  path: "/notifications/unsubscribe",
  tags: ["preferences"],
  summary: "The page an email's unsubscribe link opens: asks, changes nothing",
  description:
    "Public (the signed token is the authorization). Mail scanners follow links, so opening one unsubscribes nobody: the page, in the user's language, has a button that POSTs to the same URL. A token that was not signed by this service is 403; more than `NOTIFICATION_UNSUBSCRIBE_PER_MINUTE` (30) requests a minute from one IP are 429.",
  request: { query: UnsubscribeToken },
  responses: { 200: htmlPage("The page with the unsubscribe button"), ...errorResponses(403, 429) },
});

export const showUnsubscribe =
  (deps: NotificationDeps): RouteHandler<typeof showUnsubscribeRoute, AppEnv> =>
  async (c) => {
    const { token } = c.req.valid("query");
    const link = await readUnsubscribeToken({ ctx: ctxOf(c, deps), input: { token } });
    return servePage(c, unsubscribePage(link.locale, { categories: link.categories, token, done: false })) as never;
  };
