/**
 * Product events from the bus: each consumed type is stored once as an event tied to its user (no
 * site), named after its type, at the time it occurred, with a few safe properties and nothing else
 * of its data; a redelivery (the handler run again after a crash before the acknowledgement) counts
 * once; the deletion saga erases them.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { queryRows } from "@lodge/db";
import { eventually } from "@lodge/kit/testing";
import { sql } from "drizzle-orm";
import { startTestAnalytics, type TestAnalytics } from "./harness";

let t: TestAnalytics;
beforeAll(async () => {
  t = await startTestAnalytics();
});
afterAll(() => t.close());

type Stored = { id: string; ts: string; name: string; site_id: string | null; user_id: string; props: Record<string, string>; row: string };
const storedOf = (userId: string) =>
  queryRows<Stored>(
    t.db,
    sql`select id, to_char(ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') as ts, name, site_id, user_id, props, row_to_json(events)::text as row
        from analytics.events as events where user_id = ${userId} order by ts, name`,
  );
const now = () => ({ occurredAt: t.clock.now().toISOString() });

/** Publishes one event of each consumed type for a new user and waits until all are stored. */
async function userWithEverything() {
  const userId = Bun.randomUUIDv7();
  const published = [
    await t.deps.bus.publish("user.registered", { userId, email: "ada@example.com", name: "Ada Secret" }, now()),
    await t.deps.bus.publish("user.email_verified", { userId, email: "ada@example.com" }, now()),
    await t.deps.bus.publish(
      "file.uploaded",
      { fileId: Bun.randomUUIDv7(), ownerId: userId, name: "my-diary.pdf", contentType: "application/pdf", size: 1234, sha256: "ab".repeat(32) },
      now(),
    ),
    await t.deps.bus.publish("ai.job_completed", { userId, jobId: Bun.randomUUIDv7(), kind: "image", status: "succeeded", durationMs: 4200 }, now()),
    await t.deps.bus.publish("telegram.linked", { userId, chatId: 987654321, username: "ada_tg" }, now()),
  ];
  const stored = await eventually(async () => {
    const rows = await storedOf(userId);
    return rows.length === published.length && rows;
  });
  return { userId, published, stored };
}

describe("product events from the bus", () => {
  test("each consumed type lands once: tied to the user, no site, named after its type, at its time, with only safe properties", async () => {
    const { userId, published, stored } = await userWithEverything();
    expect(stored.map(({ row: _, ...rest }) => rest).sort((a, b) => a.name.localeCompare(b.name))).toEqual(
      (
        [
          { name: "ai.job_completed", props: { kind: "image", status: "succeeded" } },
          { name: "file.uploaded", props: { contentType: "application/pdf", size: "1234" } },
          { name: "telegram.linked", props: {} },
          { name: "user.email_verified", props: {} },
          { name: "user.registered", props: {} },
        ] as { name: string; props: Record<string, string> }[]
      ).map((expected) => ({
        ...expected,
        id: published.find((event) => event.type === expected.name)?.id as string,
        ts: "2026-03-10T10:00:00",
        site_id: null,
        user_id: userId,
      })),
    );
    // Nothing else of the events' data is stored anywhere in the rows.
    for (const { row } of stored)
      for (const secret of ["ada@example.com", "Ada Secret", "my-diary", "abab", "987654321", "ada_tg"]) expect(row).not.toContain(secret);
  });

  test("a redelivered event (handled again after a crash before its acknowledgement) counts once; another event counts again", async () => {
    const { userId, published } = await userWithEverything();
    const uploaded = published.find((event) => event.type === "file.uploaded");
    if (uploaded?.type !== "file.uploaded") throw new Error("no upload published");
    // The bus skips events it has marked done: forget the mark, as a crash between the insert and the acknowledgement would.
    await t.redis.del(t.deps.bus.keys.done("analytics", uploaded.id));
    await t.deps.bus.publish("file.uploaded", uploaded.data, { id: uploaded.id, occurredAt: uploaded.occurredAt });
    await eventually(async () => (await t.redis.exists(t.deps.bus.keys.done("analytics", uploaded.id))) === 1);
    await t.deps.bus.publish("file.uploaded", { ...uploaded.data, fileId: Bun.randomUUIDv7() }, now());
    await eventually(async () => (await storedOf(userId)).length === 6);
    expect((await storedOf(userId)).filter((row) => row.name === "file.uploaded")).toHaveLength(2);
  });

  test("an event that waited in the bus for longer than the stored months is not recorded (and not retried forever)", async () => {
    const userId = Bun.randomUUIDv7();
    const old = await t.deps.bus.publish("user.email_verified", { userId, email: "old@example.com" }, { occurredAt: "2025-12-31T23:59:59.000Z" });
    await eventually(async () => (await t.redis.exists(t.deps.bus.keys.done("analytics", old.id))) === 1);
    expect(await storedOf(userId)).toEqual([]);
    expect(t.logLines.some((line) => line.msg === "product event outside the stored months: not recorded")).toBe(true);
  });

  test("the deletion saga erases them", async () => {
    const { userId } = await userWithEverything();
    const other = await userWithEverything();
    await t.deps.bus.publish("user.deletion_requested", { userId, requestedAt: t.clock.now().toISOString() });
    await eventually(async () => (await storedOf(userId)).length === 0);
    expect(await storedOf(other.userId)).toHaveLength(5);
  });
});
