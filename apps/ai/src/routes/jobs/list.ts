import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, PageQuery } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { listJobs } from "../../services/list-jobs";
import { bearer } from "../schemas";
import { type CallerOf, Job, jobView } from "./schemas";

export const listJobsRoute = createRoute({
  method: "get",
  path: "/ai/jobs",
  tags: ["jobs"],
  summary: "Your jobs, newest first (without their results: GET /ai/jobs/{id} has them)",
  security: bearer,
  request: { query: PageQuery },
  responses: {
    200: jsonResponse(z.object({ jobs: z.array(Job.omit({ result: true })), nextCursor: z.uuid().nullable() }), "A page of jobs"),
    ...errorResponses(401, 403),
  },
});

export const list =
  (deps: AiDeps, callerOf: CallerOf): RouteHandler<typeof listJobsRoute, AppEnv> =>
  async (c) => {
    const page = await listJobs({ ctx: ctxOf(c, deps), input: { userId: callerOf(c).userId, ...c.req.valid("query") } });
    const jobs = page.rows.map((row) => {
      const { result: _, ...job } = jobView(row);
      return job;
    });
    return c.json({ jobs, nextCursor: page.nextCursor }, 200);
  };
