import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { cancelJob } from "../../services/cancel-job";
import { bearer } from "../schemas";
import { type CallerOf, Job, JobId, jobView } from "./schemas";

export const cancelJobRoute = createRoute({
  method: "delete",
  path: "/ai/jobs/{id}",
  tags: ["jobs"],
  summary: "Cancel a queued job (one already running or over: 409)",
  security: bearer,
  request: { params: JobId },
  responses: { 200: jsonResponse(Job, "Cancelled"), ...errorResponses(401, 403, 404, 409) },
});

export const cancel =
  (deps: AiDeps, callerOf: CallerOf): RouteHandler<typeof cancelJobRoute, AppEnv> =>
  async (c) =>
    c.json(jobView(await cancelJob({ ctx: ctxOf(c, deps), input: { caller: callerOf(c), id: c.req.valid("param").id } })), 200);
