import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { createJob } from "../../services/create-job";
import { bearer } from "../schemas";
import { type CallerOf, NewJob } from "./schemas";

export const createJobRoute = createRoute({
  method: "post",
  path: "/ai/jobs",
  tags: ["jobs"],
  summary: "Run a chat or image request in the background",
  description:
    "Answers 202 with the job's id at once; a worker runs the request with your limits and budgets. Its end (succeeded, failed, cancelled) " +
    "is pushed to your open realtime sockets as `ai.job_completed` (and kept in your inbox when it took over a minute). " +
    "Generated images are stored as your files. Job submissions count against your requests per minute.",
  security: bearer,
  request: { body: jsonBody(NewJob) },
  responses: { 202: jsonResponse(z.object({ id: z.uuid() }), "Accepted"), ...errorResponses(401, 403, 429) },
});

export const create =
  (deps: AiDeps, callerOf: CallerOf): RouteHandler<typeof createJobRoute, AppEnv> =>
  async (c) => {
    const caller = callerOf(c);
    await deps.limiter.hit(`ai-jobs:${caller.userId}`, { max: deps.env.AI_USER_RPM, windowSeconds: 60 });
    const { kind, request } = c.req.valid("json");
    const job = await createJob({ ctx: ctxOf(c, deps), input: { caller, kind, request } });
    c.header("Location", `/ai/jobs/${job.id}`);
    return c.json({ id: job.id }, 202);
  };
