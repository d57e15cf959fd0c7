import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jobs } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eventually, readStream } from "@lodge/kit/testing";
import { count, eq } from "drizzle-orm";
import { ProviderError } from "../src/providers/types";
import { runJob } from "../src/services/run-job";
import { chatJob, completionOf, startTestAi, type TestAi } from "./harness";

/** POST/GET/DELETE /ai/jobs and the worker, with a RunCall each test sets (the gateway's is wired at merge). */
let t: TestAi;
beforeAll(async () => {
  t = await startTestAi({ env: { AI_JOB_CONCURRENCY: "1" } });
});
afterAll(() => t.close());

const jobCount = async () => (await t.db.select({ n: count() }).from(jobs))[0]?.n;
const callsFor = (userId: string) => t.runCalls.filter((call) => call.userId === userId);

/**
 * Calls (those `which` picks; the others answer at once) that wait until `release()`: a job taken
 * by the worker stays running meanwhile, and with AI_JOB_CONCURRENCY=1 the next ones stay queued.
 */
function slowCalls(which: (request: Record<string, unknown>) => boolean = () => true) {
  const gate = Promise.withResolvers<void>();
  const started = Promise.withResolvers<void>();
  t.runCall = async (_ctx, _caller, _kind, request) => {
    if (!which(request)) return completionOf("at once");
    started.resolve();
    await gate.promise;
    return completionOf("slow");
  };
  return { started: started.promise, release: () => gate.resolve() };
}

describe("a chat job", () => {
  test("is accepted (202), run with the request as sent, and its end is recorded and published", async () => {
    const user = await t.issuer.user();
    t.runCall = async () => completionOf("Hi there");
    const request = { model: "gpt-test", messages: [{ role: "user", content: "Hello" }], temperature: 0.2, x_vendor_field: { kept: true } };
    const accepted = await t.submitJob(user.token, { kind: "chat", request });
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get("location")).toBe(`/ai/jobs/${accepted.json.id}`);
    const job = await t.jobEnded(user.token, accepted.json.id);
    expect(job).toMatchObject({ id: accepted.json.id, kind: "chat", status: "succeeded", result: completionOf("Hi there"), error: null, attempts: 1 });
    expect(Date.parse(job.finishedAt)).toBeGreaterThanOrEqual(Date.parse(job.startedAt));
    expect(Date.parse(job.startedAt)).toBeGreaterThanOrEqual(Date.parse(job.createdAt));
    expect(callsFor(user.id)).toEqual([{ kind: "chat", request, userId: user.id }]);
    const event = await t.jobCompleted(accepted.json.id);
    expect(event.data).toEqual({ userId: user.id, jobId: accepted.json.id, kind: "chat", status: "succeeded", durationMs: expect.any(Number) });
    expect(event.data.durationMs as number).toBeGreaterThanOrEqual(0);
  });

  test("a service client with ai:invoke submits for the user it names; without the scope or the header it is refused", async () => {
    const user = await t.issuer.user();
    t.runCall = async () => completionOf("for the bot");
    const bot = await t.issuer.client("bot-service", ["ai:invoke"]);
    const accepted = await t.submitJob(bot, chatJob(), { "x-lodge-user": user.id });
    expect(accepted.status).toBe(202);
    expect((await t.jobEnded(user.token, accepted.json.id)).status).toBe("succeeded");
    const [row] = await t.db.select().from(jobs).where(eq(jobs.id, accepted.json.id));
    expect(row).toMatchObject({ userId: user.id, clientId: "bot-service", keyId: null });
    const before = await jobCount();
    expect((await t.submitJob(bot, chatJob())).status).toBe(403);
    expect((await t.submitJob(await t.issuer.client("other", ["files:write"]), chatJob(), { "x-lodge-user": user.id })).status).toBe(403);
    expect((await t.submitJob(user.token, chatJob(), { "x-lodge-user": (await t.issuer.user()).id })).status).toBe(403);
    expect(await jobCount()).toBe(before);
  });
});

describe("bad input is a 4xx in the error shape, and nothing is written", () => {
  test("requests that are not the /ai/v1 body they stand for, bad kinds and bodies", async () => {
    const user = await t.issuer.user();
    const before = await jobCount();
    const refusals: [unknown, number][] = [
      [{ kind: "chat", request: { model: "gpt-test" } }, 422],
      [{ kind: "chat", request: { model: "gpt-test", messages: [] } }, 422],
      [{ kind: "chat", request: { model: "", messages: [{ role: "user", content: "x" }] } }, 422],
      [{ kind: "chat", request: { model: "gpt-test", messages: [{ content: "no role" }] } }, 422],
      [{ kind: "chat", request: { ...chatJob().request, stream: true } }, 422],
      [{ kind: "image", request: { model: "img-test" } }, 422],
      [{ kind: "image", request: { model: "img-test", prompt: "a cat", n: 1000 } }, 422],
      [{ kind: "embeddings", request: { model: "x", input: "y" } }, 422],
      [{ kind: "chat", request: chatJob().request, extra: 1 }, 422],
      [{ kind: "chat" }, 422],
      [[], 422],
      ["{not json", 400],
      [{ kind: "chat", request: { model: "gpt-test", messages: [{ role: "user", content: "x".repeat(200_000) }] } }, 413],
    ];
    for (const [body, status] of refusals) {
      const reply = await t.submitJob(user.token, body);
      expect({ body: JSON.stringify(body).slice(0, 80), status: reply.status }).toEqual({ body: JSON.stringify(body).slice(0, 80), status });
      expect(typeof reply.json.error.requestId).toBe("string");
    }
    const plain = await t.call("POST", "/ai/jobs", { token: user.token, body: "kind=chat", headers: { "content-type": "text/plain" } });
    expect(plain.status).toBe(415);
    expect(await jobCount()).toBe(before);
  });

  test("no token, a bad token: 401 before the body is looked at", async () => {
    expect((await t.call("POST", "/ai/jobs", { body: { kind: "nonsense" } })).status).toBe(401);
    expect((await t.call("POST", "/ai/jobs", { body: chatJob(), headers: { authorization: "Bearer not-a-token" } })).status).toBe(401);
    expect((await t.call("GET", "/ai/jobs")).status).toBe(401);
    expect((await t.call("GET", `/ai/jobs/${Bun.randomUUIDv7()}`)).status).toBe(401);
    expect((await t.call("DELETE", `/ai/jobs/${Bun.randomUUIDv7()}`)).status).toBe(401);
  });

  test("a job id that is not a UUID is 422", async () => {
    const user = await t.issuer.user();
    expect((await t.call("GET", "/ai/jobs/1%27%20or%201=1", { token: user.token })).status).toBe(422);
  });
});

describe("reading jobs", () => {
  test("the owner and admins see a job; anyone else is told it does not exist", async () => {
    const owner = await t.issuer.user();
    t.runCall = async () => completionOf("mine");
    const { id } = (await t.submitJob(owner.token, chatJob())).json;
    await t.jobEnded(owner.token, id);
    expect((await t.call("GET", `/ai/jobs/${id}`, { token: (await t.issuer.user()).token })).status).toBe(404);
    expect((await t.call("GET", `/ai/jobs/${Bun.randomUUIDv7()}`, { token: owner.token })).status).toBe(404);
    const admin = await t.call("GET", `/ai/jobs/${id}`, { token: (await t.issuer.admin()).token });
    expect(admin.status).toBe(200);
    expect(admin.json.result).toEqual(completionOf("mine"));
  });

  test("the list is the caller's own, newest first, paged, without results", async () => {
    const user = await t.issuer.user();
    t.runCall = async () => completionOf("listed");
    const ids: string[] = [];
    for (let index = 0; index < 3; index += 1) ids.push((await t.submitJob(user.token, chatJob(`question ${index}`))).json.id);
    const first = await t.call("GET", "/ai/jobs?limit=2", { token: user.token });
    expect(first.status).toBe(200);
    expect(first.json.jobs.map((job: { id: string }) => job.id)).toEqual([ids[2], ids[1]]);
    expect(first.json.jobs[0].result).toBeUndefined();
    const second = await t.call("GET", `/ai/jobs?limit=2&cursor=${first.json.nextCursor}`, { token: user.token });
    expect(second.json).toMatchObject({ jobs: [{ id: ids[0] }], nextCursor: null });
    expect((await t.call("GET", "/ai/jobs", { token: (await t.issuer.user()).token })).json).toEqual({ jobs: [], nextCursor: null });
    expect((await t.call("GET", "/ai/jobs?limit=1000", { token: user.token })).status).toBe(422);
  });
});

describe("failures and retries", () => {
  test("a failure no retry mends fails the job at once, recorded and published", async () => {
    const user = await t.issuer.user();
    t.runCall = async () => {
      throw new ProviderError("The model refused the request", { status: 400, retryable: false });
    };
    const { id } = (await t.submitJob(user.token, chatJob())).json;
    const job = await t.jobEnded(user.token, id);
    expect(job).toMatchObject({
      status: "failed",
      result: null,
      attempts: 1,
      error: { code: "UPSTREAM_ERROR", message: "The model refused the request", details: { status: 400 } },
    });
    expect((await t.jobCompleted(id)).data).toMatchObject({ userId: user.id, status: "failed", kind: "chat" });
  });

  test("an exhausted budget fails at once; a per-minute limit is tried again", async () => {
    const user = await t.issuer.user();
    t.runCall = async () => {
      throw new ApiError({ code: "RATE_LIMITED", message: "Daily budget spent", retryAfter: 3600, details: { limit: "daily_budget" } });
    };
    const budget = await t.jobEnded(user.token, (await t.submitJob(user.token, chatJob())).json.id);
    expect(budget).toMatchObject({ status: "failed", attempts: 1, error: { code: "RATE_LIMITED", details: { limit: "daily_budget" } } });

    let attempts = 0;
    t.runCall = async () => {
      attempts += 1;
      if (attempts === 1) throw new ApiError({ code: "RATE_LIMITED", message: "Too many requests", retryAfter: 1, details: { limit: "rpm" } });
      return completionOf("second time lucky");
    };
    const retried = await t.jobEnded(user.token, (await t.submitJob(user.token, chatJob())).json.id);
    expect(retried).toMatchObject({ status: "succeeded", attempts: 2, result: completionOf("second time lucky"), error: null });
  });

  test("an unexpected error fails the job without saying more than that", async () => {
    const user = await t.issuer.user();
    t.runCall = async () => {
      throw new Error("secret sk-live-123 in a stack");
    };
    const job = await t.jobEnded(user.token, (await t.submitJob(user.token, chatJob())).json.id);
    expect(job).toMatchObject({ status: "failed", error: { code: "INTERNAL", message: "The job failed" } });
    expect(JSON.stringify(job)).not.toContain("sk-live");
  });
});

describe("running, cancelling and running again", () => {
  test("a running job cannot be cancelled (409) and finishes", async () => {
    const user = await t.issuer.user();
    const slow = slowCalls();
    const { id } = (await t.submitJob(user.token, chatJob())).json;
    await slow.started;
    expect((await t.call("GET", `/ai/jobs/${id}`, { token: user.token })).json.status).toBe("running");
    const refused = await t.call("DELETE", `/ai/jobs/${id}`, { token: user.token });
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe("CONFLICT");
    slow.release();
    expect((await t.jobEnded(user.token, id)).status).toBe("succeeded");
    expect((await t.call("DELETE", `/ai/jobs/${id}`, { token: user.token })).status).toBe(409);
  });

  test("a finished job run again (a worker that crashed before BullMQ heard) does not call again", async () => {
    const user = await t.issuer.user();
    t.runCall = async () => completionOf("once");
    const { id } = (await t.submitJob(user.token, chatJob())).json;
    await t.jobEnded(user.token, id);
    const before = callsFor(user.id).length;
    const ctx = { deps: t.deps, logger: t.deps.logger };
    expect(await runJob({ ctx, input: { jobId: id, lastAttempt: false } })).toEqual({ status: "skipped" });
    expect(callsFor(user.id).length).toBe(before);
    expect((await t.call("GET", `/ai/jobs/${id}`, { token: user.token })).json).toMatchObject({ status: "succeeded", attempts: 1 });
  });
});

describe("queued jobs (the one worker slot busy: AI_JOB_CONCURRENCY=1)", () => {
  test("a queued job is cancelled: removed from the queue, recorded, published, and never run", async () => {
    const user = await t.issuer.user();
    const slow = slowCalls((request) => request.model === "slow");
    const slowJob = (await t.submitJob(user.token, { kind: "chat", request: { model: "slow", messages: [{ role: "user", content: "wait" }] } })).json.id;
    await slow.started;
    const id = (await t.submitJob(user.token, chatJob())).json.id;
    expect((await t.call("GET", `/ai/jobs/${id}`, { token: user.token })).json.status).toBe("queued");
    expect((await t.call("DELETE", `/ai/jobs/${id}`, { token: (await t.issuer.user()).token })).status).toBe(404);
    const cancelled = await t.call("DELETE", `/ai/jobs/${id}`, { token: user.token });
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({ id, status: "cancelled", result: null, attempts: 0 });
    expect(cancelled.json.finishedAt).not.toBeNull();
    expect(await t.deps.aiJobs.getJob(id)).toBeUndefined();
    expect((await t.jobCompleted(id)).data).toMatchObject({ userId: user.id, jobId: id, kind: "chat", status: "cancelled" });
    expect((await t.call("DELETE", `/ai/jobs/${id}`, { token: user.token })).status).toBe(409);
    slow.release();
    expect((await t.jobEnded(user.token, slowJob)).status).toBe("succeeded");
    const ctx = { deps: t.deps, logger: t.deps.logger };
    expect(await runJob({ ctx, input: { jobId: id, lastAttempt: true } })).toEqual({ status: "skipped" });
    expect(callsFor(user.id).map((call) => call.request.model)).toEqual(["slow"]);
  });

  test("an admin may cancel anyone's queued job", async () => {
    const user = await t.issuer.user();
    const slow = slowCalls();
    const running = (await t.submitJob(user.token, chatJob())).json.id;
    await slow.started;
    const queued = (await t.submitJob(user.token, chatJob())).json.id;
    expect((await t.call("DELETE", `/ai/jobs/${queued}`, { token: (await t.issuer.admin()).token })).json.status).toBe("cancelled");
    slow.release();
    expect((await t.jobEnded(user.token, running)).status).toBe("succeeded");
  });

  test("the queued job of a user whose data was erased (its row deleted) does nothing when a worker takes it", async () => {
    const user = await t.issuer.user();
    const slow = slowCalls();
    const other = await t.issuer.user();
    const running = (await t.submitJob(other.token, chatJob())).json.id;
    await slow.started;
    const id = (await t.submitJob(user.token, chatJob())).json.id;
    // As the deletion saga leaves it: the row gone, the BullMQ job still queued.
    await t.db.delete(jobs).where(eq(jobs.userId, user.id));
    slow.release();
    await t.jobEnded(other.token, running);
    await eventually(async () => (await t.deps.aiJobs.getJobState(id)) === "completed");
    expect(callsFor(user.id)).toEqual([]);
    expect(await t.db.select().from(jobs).where(eq(jobs.id, id))).toEqual([]);
    expect((await readStream(t.redis, t.prefix, "ai.job_completed")).filter((event) => event.data.userId === user.id)).toEqual([]);
  });
});
