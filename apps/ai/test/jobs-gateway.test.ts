import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { usage } from "@lodge/db/schema";
import { eventually } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import { startTestAi, type TestAi, testRegistry } from "./harness";

/** Jobs through the gateway's own call path (routing, the caller's limits and metering) to the fake upstream. */
let t: TestAi;
beforeAll(async () => {
  t = await startTestAi({ registry: testRegistry });
});
afterAll(() => t.close());

describe("a job through the gateway", () => {
  test("a chat job is answered by the upstream, metered as the user's call, and its end goes on the bus for the notification service", async () => {
    const user = await t.user();
    const request = { model: "chat", messages: [{ role: "user", content: "Say hello" }] };
    const accepted = await t.submitJob(user.token, { kind: "chat", request });
    expect(accepted.status).toBe(202);
    const job = await t.jobEnded(user.token, accepted.json.id);
    expect(job.status).toBe("succeeded");
    expect(job.result).toMatchObject({ object: "chat.completion", model: "gpt-4o-mini", choices: [{ message: { role: "assistant" } }] });
    const sent = t.fake.requests.filter((made) => made.path === "/v1/chat/completions").at(-1);
    expect(sent?.body).toMatchObject({ model: "gpt-4o-mini", messages: request.messages });
    // The call is the user's, in their usage like any /ai/v1 call.
    const [row] = await eventually(async () => {
      const rows = await t.db.select().from(usage).where(eq(usage.userId, user.id));
      return rows.length > 0 && rows;
    });
    expect(row).toMatchObject({ kind: "chat", model: "chat", deployment: "openai/gpt-4o-mini", status: "ok", tokensFrom: "upstream" });
    expect(row?.outputTokens).toBeGreaterThan(0);
    const completed = await t.jobCompleted(accepted.json.id);
    expect(completed.data).toEqual({ userId: user.id, jobId: accepted.json.id, kind: "chat", status: "succeeded", durationMs: expect.any(Number) });
  });

  test("an unknown model fails the job for good with OpenAI's model_not_found, and nothing is sent upstream", async () => {
    const user = await t.user();
    const before = t.fake.requests.length;
    const accepted = await t.submitJob(user.token, { kind: "chat", request: { model: "nope", messages: [{ role: "user", content: "x" }] } });
    const job = await t.jobEnded(user.token, accepted.json.id);
    expect(job.status).toBe("failed");
    expect(job.attempts).toBe(1);
    expect(job.error).toMatchObject({ code: "NOT_FOUND", details: { code: "model_not_found", param: "model" } });
    expect(t.fake.requests.length).toBe(before);
  });
});
