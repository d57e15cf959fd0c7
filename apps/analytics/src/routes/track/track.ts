import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { ApiError, type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { EventName, EventProps } from "../../helpers/event-fields";
import { trackEvent } from "../../services/track-event";

/** The scope a service client needs to record product events for users. */
export const TRACK_SCOPE = "analytics:track";

export const trackRoute = createRoute({
  method: "post",
  path: "/analytics/track",
  tags: ["product events"],
  summary: "Record a product event for a user (a signed-in user for themselves; a service client with analytics:track for anyone)",
  description:
    "Stored at once, timed by the server. A user's token records for that user only (`userId` omitted or their own; another's is 403); " +
    "a service client names the user. The names of the services' bus events (`user.registered`, ...) are reserved. Rate-limited per user.",
  security: [{ bearer: [] }],
  request: {
    body: jsonBody(
      z
        .object({
          name: EventName,
          props: EventProps.optional(),
          userId: z.uuid().optional().openapi({ description: "Whose event: required for service clients; a user may only name themselves" }),
        })
        .strict(),
    ),
  },
  responses: { 202: jsonResponse(z.object({ id: z.uuid() }), "Recorded"), ...errorResponses(401, 403, 429) },
});

export const track =
  (deps: AnalyticsDeps): RouteHandler<typeof trackRoute, AppEnv> =>
  async (c) => {
    const { name, props, userId } = c.req.valid("json");
    const userIdFor = whoseEvent(c.get("principal"), userId);
    await deps.limiter.hit(`analytics-track:${userIdFor}`, { max: deps.env.ANALYTICS_TRACK_RATE_PER_USER, windowSeconds: 60 });
    return c.json(await trackEvent({ ctx: ctxOf(c, deps), input: { userId: userIdFor, name, props: props ?? {} } }), 202);
  };

/** A user records for themselves only; a client with the scope for the user it names. */
function whoseEvent(principal: AppEnv["Variables"]["principal"], userId: string | undefined): string {
  if (principal.kind === "user") {
    if (userId !== undefined && userId.toLowerCase() !== principal.userId.toLowerCase())
      throw new ApiError({ code: "FORBIDDEN", message: "A user records product events for themselves only" });
    return principal.userId;
  }
  if (!principal.scopes.includes(TRACK_SCOPE)) throw new ApiError({ code: "FORBIDDEN", message: `Recording for users needs the ${TRACK_SCOPE} scope` });
  if (userId === undefined)
    throw new ApiError({ code: "VALIDATION_FAILED", message: "A service client names the user (userId)", details: [{ path: "userId", message: "required" }] });
  return userId.toLowerCase();
}
