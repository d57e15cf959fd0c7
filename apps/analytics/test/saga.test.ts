/**
 * The analytics service's part of account deletion and of the export: `user.deletion_requested`
 * erases the events tied to the user (marking the hours of any site they touched dirty, so the
 * rollups forget them too), leaves the sites they owned without an owner, and is answered with
 * `user.data_erased` (service "analytics"); `GET /analytics/export/{userId}` gives the user service
 * the sites they own and their events. The rows are written as the service writes them.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { analyticsErasedUsers, events, rollupDirty, sites } from "@lodge/db/schema";
import { eventually, expectErrorShape, hostileStrings, readStream, sweepAuthorizations } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import { type EventRow, insertEventRows } from "../src/helpers/event-row";
import { productEventRow } from "../src/helpers/product-event";
import { startTestAnalytics, type TestAnalytics } from "./harness";

let t: TestAnalytics;
beforeAll(async () => {
  // No rollup job: these tests look at the dirty marks it would clear.
  t = await startTestAnalytics({ jobs: false });
});
afterAll(() => t.close());

const productEvent = (userId: string, name: string, ts: string, siteId: string | null = null): EventRow => ({
  ...productEventRow({ id: Bun.randomUUIDv7(), at: new Date(ts), userId, name, props: { plan: "pro" } }),
  site_id: siteId,
});

/** A user with a site of their own, two product events and one tracked on a site. */
async function activeUser() {
  const userId = Bun.randomUUIDv7();
  const [site] = await t.db
    .insert(sites)
    .values({ domain: `${Bun.randomUUIDv7().slice(-12)}.example.com`, name: "Mine", siteKey: Bun.randomUUIDv7(), ownerId: userId })
    .returning();
  const siteId = site?.id as string;
  await insertEventRows(t.db, [
    productEvent(userId, "user.registered", "2026-03-01T08:00:00.000Z"),
    productEvent(userId, "Report Exported", "2026-03-09T12:30:00.000Z"),
    productEvent(userId, "Signed Up", "2026-03-10T09:15:00.000Z", siteId),
  ]);
  await t.db.delete(rollupDirty).where(eq(rollupDirty.siteId, siteId));
  return { userId, siteId };
}

const acknowledgements = async (userId: string) =>
  (await readStream(t.redis, t.prefix, "user.data_erased")).filter((event) => event.data.userId === userId).map((event) => event.data);

describe("account deletion", () => {
  test("erases the user's events, marks the site hours they touched dirty, leaves their sites ownerless, and answers user.data_erased (analytics)", async () => {
    const user = await activeUser();
    const other = await activeUser();
    await t.deps.bus.publish("user.deletion_requested", { userId: user.userId, requestedAt: t.clock.now().toISOString() });
    const [acknowledged] = await eventually(async () => {
      const found = await acknowledgements(user.userId);
      return found.length > 0 && found;
    });
    expect(acknowledged).toEqual({ userId: user.userId, service: "analytics" });
    // Published with the rows' removal: once it is on the bus, nothing of the user is left.
    expect(await t.db.select().from(events).where(eq(events.userId, user.userId))).toEqual([]);
    const [site] = await t.db.select().from(sites).where(eq(sites.id, user.siteId));
    expect(site?.ownerId).toBeNull();
    expect((await t.db.select().from(rollupDirty).where(eq(rollupDirty.siteId, user.siteId))).map((mark) => mark.hour.toISOString())).toEqual([
      "2026-03-10T09:00:00.000Z",
    ]);
    expect(await t.db.select().from(events).where(eq(events.userId, other.userId))).toHaveLength(3);
  });

  test("a repeated request erases nothing more and is answered again; a user never seen is answered too", async () => {
    const user = await activeUser();
    for (const _ of [1, 2]) await t.deps.bus.publish("user.deletion_requested", { userId: user.userId, requestedAt: t.clock.now().toISOString() });
    await eventually(async () => (await acknowledgements(user.userId)).length === 2);
    expect(await t.db.select().from(events).where(eq(events.userId, user.userId))).toEqual([]);
    const stranger = Bun.randomUUIDv7();
    await t.deps.bus.publish("user.deletion_requested", { userId: stranger, requestedAt: t.clock.now().toISOString() });
    expect(await eventually(async () => (await acknowledgements(stranger))[0])).toEqual({ userId: stranger, service: "analytics" });
  });
  test("events about an erased user that come late (a redelivered user.registered, a file uploaded as the account went) store nothing", async () => {
    const user = await activeUser();
    await t.deps.bus.publish("user.deletion_requested", { userId: user.userId, requestedAt: t.clock.now().toISOString() });
    await eventually(async () => (await acknowledgements(user.userId)).length === 1);
    const at = { occurredAt: t.clock.now().toISOString() };
    await t.deps.bus.publish("user.registered", { userId: user.userId, email: "late@example.com", name: null }, at);
    const file = { fileId: Bun.randomUUIDv7(), name: "late.png", contentType: "image/png", size: 1, sha256: "0".repeat(64) };
    await t.deps.bus.publish("file.uploaded", { ...file, ownerId: user.userId }, at);
    // Events of each stream are handled in order: once a later one is stored, the late ones were handled.
    const marker = Bun.randomUUIDv7();
    await t.deps.bus.publish("user.registered", { userId: marker, email: "marker@example.com", name: null }, at);
    await t.deps.bus.publish("file.uploaded", { ...file, fileId: Bun.randomUUIDv7(), ownerId: marker }, at);
    await eventually(async () => (await t.db.select().from(events).where(eq(events.userId, marker))).length === 2);
    expect(await t.db.select().from(events).where(eq(events.userId, user.userId))).toEqual([]);
    // The record of the erasure does not name the user either.
    const remembered = await t.db.select().from(analyticsErasedUsers);
    expect(JSON.stringify(remembered)).not.toContain(user.userId);
    expect(remembered.map((row) => row.userKey)).toContain(new Bun.CryptoHasher("sha256").update(user.userId).digest("hex"));
  });
});

describe("export", () => {
  test("GET /analytics/export/{userId} (scope analytics:export): their sites and events in time order, nobody else's", async () => {
    const user = await activeUser();
    await activeUser();
    const client = await t.issuer.client("user-service", ["analytics:export"]);
    const exported = await t.call("GET", `/analytics/export/${user.userId}`, { token: client });
    expect(exported.status).toBe(200);
    expect(exported.json.userId).toBe(user.userId);
    expect(exported.json.sites).toEqual([{ id: user.siteId, domain: expect.stringMatching(/\.example\.com$/), name: "Mine", createdAt: expect.any(String) }]);
    expect(exported.json.events.map((event: { name: string; ts: string }) => [event.name, event.ts])).toEqual([
      ["user.registered", "2026-03-01T08:00:00.000Z"],
      ["Report Exported", "2026-03-09T12:30:00.000Z"],
      ["Signed Up", "2026-03-10T09:15:00.000Z"],
    ]);
    expect(exported.json.events[2]).toMatchObject({ siteId: user.siteId, props: { plan: "pro" } });
    const stranger = await t.call("GET", `/analytics/export/${Bun.randomUUIDv7()}`, { token: client });
    expect(stranger.json).toMatchObject({ sites: [], events: [] });
  });

  test("needs the analytics:export scope: a user, another client or no token is refused; a malformed id is 422", async () => {
    const user = await t.user();
    expect((await t.call("GET", `/analytics/export/${user.id}`, { token: user.token })).status).toBe(403);
    expect((await t.call("GET", `/analytics/export/${user.id}`, { token: await t.issuer.client("bot", ["analytics:track"]) })).status).toBe(403);
    expect((await t.call("GET", `/analytics/export/${user.id}`)).status).toBe(401);
    const client = await t.issuer.client("user-service", ["analytics:export"]);
    const malformed = await t.call("GET", "/analytics/export/not-a-uuid", { token: client });
    expect([malformed.status, malformed.json.error.code]).toEqual([422, "VALIDATION_FAILED"]);
    // The bad-input sweep's hostile values as the id, and its bad tokens: a 4xx in the one error shape each.
    for (const hostile of hostileStrings.filter((value) => value.isWellFormed())) {
      const answer = await t.call("GET", `/analytics/export/${encodeURIComponent(hostile)}`, { token: client });
      expect({ hostile, status: answer.status >= 400 && answer.status < 500 }).toEqual({ hostile, status: true });
      expectErrorShape(answer, hostile);
    }
    await sweepAuthorizations({
      routes: [["GET", `/analytics/export/${user.id}`]],
      token: client,
      send: (method, path, headers) => t.call(method, path, { headers }),
    });
  });
});
