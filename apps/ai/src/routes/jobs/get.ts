import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { getJob } from "../../services/get-job";
import { bearer } from "../schemas";
import { type CallerOf, Job, JobId, jobView } from "./schemas";

export const getJobRoute = createRoute({
  method: "get",
  path: "/ai/jobs/{id}",
  tags: ["jobs"],
  summary: "A job's status, result or error, and times (yours; any for an admin)",
  security: bearer,
  request: { params: JobId },
  responses: { 200: jsonResponse(Job, "The job"), ...errorResponses(401, 403, 404) },
});

export const get =
  (deps: AiDeps, callerOf: CallerOf): RouteHandler<typeof getJobRoute, AppEnv> =>
  async (c) =>
    c.json(jobView(await getJob({ ctx: ctxOf(c, deps), input: { caller: callerOf(c), id: c.req.valid("param").id } })), 200);
