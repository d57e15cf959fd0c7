import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { deletions } from "@lodge/db/schema";
import type { RetryInfo } from "@lodge/events";
import { eventually, readStream } from "@lodge/kit/testing";
import { eq, sql } from "drizzle-orm";
import { startTestStack, type TestStack } from "./harness";

// The deletion saga across a long failure of one erasing service: it used to give up after five
// attempts and dead-letter user.deletion_requested, leaving the account "pending" for good.
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

/** The file service's retry state for its user.deletion_requested events. */
async function fileRetries(): Promise<RetryInfo[]> {
  const entries = await stack.redis.hgetall(stack.file.deps.bus.keys.retryInfo("file"));
  return Object.entries(entries)
    .filter(([member]) => member.startsWith("user.deletion_requested "))
    .map(([, value]) => JSON.parse(value) as RetryInfo);
}

/** One sample of the file service's /metrics (its registry adds `service="file"` to every series). */
async function gauge(name: string, labels: string) {
  const line = (await stack.file.deps.metrics.registry.metrics()).split("\n").find((candidate) => candidate.startsWith(`${name}{${labels},service="file"}`));
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
}

describe("account deletion during an outage", () => {
  test("the file service failing in Postgres for longer than the old five attempts keeps retrying with backoff; the deletion completes once Postgres answers", async () => {
    const user = await stack.register();
    await stack.profileArrived(user.id);
    const fileId = await stack.upload(user.accessToken, "png");

    // Every query of the file service on its files table now fails in Postgres (as during a
    // restore or a botched migration): its erasure cannot succeed until the table is back.
    await stack.db.execute(sql`alter table file.files rename to files_away`);
    try {
      const requested = await stack.call("DELETE", "/users/me", { token: user.accessToken, body: { password: user.password } });
      expect(requested.status).toBe(202);
      // Auth and user erase at once; file keeps failing, attempt after attempt, on its own clock
      // (which also runs in real time: the first retries may come before the test moves it).
      for (let attempt = 1; attempt <= 8; attempt++) {
        await eventually(async () => ((await fileRetries())[0]?.attempt ?? 0) >= attempt);
        stack.advanceFile(60_000);
      }
      const [row] = await stack.db.select().from(deletions).where(eq(deletions.userId, user.id));
      expect(row?.pending).toEqual(["file"]);
      expect(row?.completedAt).toBeNull();
      expect(await stack.file.deps.bus.deadLetters.list()).toEqual([]);
      // The stalled saga shows on the file service's /metrics: what DeletionSagaStalled alerts on.
      const labels = 'stream="user.deletion_requested",group="file"';
      expect(await gauge("events_retrying", labels)).toBe(1);
      expect(await gauge("events_oldest_retry_age_seconds", labels)).toBeGreaterThanOrEqual(7 * 60);
    } finally {
      await stack.db.execute(sql`alter table file.files_away rename to files`);
    }
    stack.advanceFile(60_000);

    const deleted = await eventually(async () => (await readStream(stack.redis, stack.prefix, "user.deleted")).find((event) => event.data.userId === user.id));
    expect(deleted.data).toEqual({ userId: user.id });
    const [row] = await stack.db.select().from(deletions).where(eq(deletions.userId, user.id));
    expect(row?.pending).toEqual([]);
    expect(row?.completedAt).not.toBeNull();
    expect(await stack.fileRow(fileId)).toBeUndefined();
    expect(await stack.file.deps.bus.deadLetters.list()).toEqual([]);
    await eventually(async () => (await fileRetries()).length === 0);
    expect(await gauge("events_oldest_retry_age_seconds", 'stream="user.deletion_requested",group="file"')).toBe(0);
  });
});
