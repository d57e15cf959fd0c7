import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { siteShares, sites } from "@lodge/db/schema";
import { secretTokenHash } from "@lodge/kit";
import { eq } from "drizzle-orm";
import { SHARE_HEADER } from "../src/helpers/site-access";
import { startTestAnalytics, type TestAnalytics } from "./harness";

let t: TestAnalytics;
let owner: { id: string; token: string };
let stranger: { id: string; token: string };
let admin: { id: string; token: string };
let siteId: string;
let otherSiteId: string;

/** A site row as the sites routes would store it (they are another part of the service). */
async function insertSite(domain: string, ownerId: string | null) {
  const id = Bun.randomUUIDv7();
  await t.db.insert(sites).values({ id, domain, name: domain, siteKey: `key-${id}`, ownerId });
  return id;
}

beforeAll(async () => {
  t = await startTestAnalytics({ env: { ANALYTICS_PUBLIC_URL: "https://lodge.example" } });
  [owner, stranger] = await Promise.all([t.user(), t.user()]);
  admin = await t.issuer.admin();
  siteId = await insertSite("shares.example", owner.id);
  otherSiteId = await insertSite("other.example", stranger.id);
});
afterAll(() => t.close());

const sharesOf = (id: string) => `/analytics/sites/${id}/shares`;

/** What a stats read with a share link's token answers (the link's url, as the site owner sent it on). */
async function opens(id: string, token: string): Promise<number> {
  return (await t.call("GET", `/analytics/sites/${id}/stats?period=day&share=${encodeURIComponent(token)}`)).status;
}

describe("share links", () => {
  test("the owner creates one: 201 with its token once and a link to the stats; only the token's SHA-256 is stored", async () => {
    const created = await t.call("POST", sharesOf(siteId), { token: owner.token, body: { label: "  the board  " } });
    expect(created.status).toBe(201);
    const { id, token, url, label, createdAt, revokedAt } = created.json;
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(url).toBe(`https://lodge.example/analytics/sites/${siteId}/stats?share=${token}`);
    expect({ label, createdAt, revokedAt }).toEqual({ label: "the board", createdAt: "2026-03-10T10:00:00.000Z", revokedAt: null });
    const [row] = await t.db.select().from(siteShares).where(eq(siteShares.id, id));
    expect(row?.tokenHash).toBe(secretTokenHash(token));
    expect(JSON.stringify(row)).not.toContain(token);
    // The link opens the stats as it is, and its token does in the header too.
    expect((await t.call("GET", url.replace("https://lodge.example", ""))).status).toBe(200);
    expect((await t.call("GET", `/analytics/sites/${siteId}/stats`, { headers: { [SHARE_HEADER]: token } })).status).toBe(200);
    expect(await opens(siteId, token)).toBe(200);
    // The link is for this site only.
    expect(await opens(otherSiteId, token)).toBe(403);
  });

  test("a label is optional; two links have different tokens", async () => {
    const [first, second] = await Promise.all([
      t.call("POST", sharesOf(siteId), { token: owner.token, body: {} }),
      t.call("POST", sharesOf(siteId), { token: admin.token, body: {} }),
    ]);
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(first.json.label).toBe("");
    expect(first.json.token).not.toBe(second.json.token);
  });

  test("the list shows every link of the site, newest first, without tokens", async () => {
    t.clock.advance(60_000);
    const created = await t.call("POST", sharesOf(siteId), { token: owner.token, body: { label: "newest" } });
    const listed = await t.call("GET", sharesOf(siteId), { token: owner.token });
    expect(listed.status).toBe(200);
    expect(listed.json.shares[0]).toEqual({ id: created.json.id, label: "newest", createdAt: "2026-03-10T10:01:00.000Z", revokedAt: null });
    expect(listed.json.shares.map((share: { label: string }) => share.label)).toContain("the board");
    expect(listed.text).not.toContain(created.json.token);
    for (const share of listed.json.shares) expect(Object.keys(share).sort()).toEqual(["createdAt", "id", "label", "revokedAt"]);
    const admins = await t.call("GET", sharesOf(siteId), { token: admin.token });
    expect(admins.json).toEqual(listed.json);
  });

  test("revoking stops the link at once; revoking again keeps the first time; the list shows when", async () => {
    const { id, token } = (await t.call("POST", sharesOf(siteId), { token: owner.token, body: { label: "revoke me" } })).json;
    const sibling = (await t.call("POST", sharesOf(siteId), { token: owner.token, body: { label: "keep me" } })).json;
    expect(await opens(siteId, token)).toBe(200);
    const revokedAt = t.clock.now().toISOString();
    expect((await t.call("DELETE", `${sharesOf(siteId)}/${id}`, { token: owner.token })).status).toBe(204);
    expect(await opens(siteId, token)).toBe(403);
    expect(await opens(siteId, sibling.token)).toBe(200);
    t.clock.advance(60_000);
    expect((await t.call("DELETE", `${sharesOf(siteId)}/${id}`, { token: admin.token })).status).toBe(204);
    const listed = (await t.call("GET", sharesOf(siteId), { token: owner.token })).json.shares;
    expect(listed.find((share: { id: string }) => share.id === id).revokedAt).toBe(revokedAt);
    expect(listed.find((share: { id: string }) => share.id === sibling.id).revokedAt).toBeNull();
  });

  test("only the owner and admins manage links: others 403 (whether or not the site exists), admins 404 for an unknown site, no sign-in 401", async () => {
    const share = (await t.call("POST", sharesOf(siteId), { token: owner.token, body: {} })).json;
    const client = await t.issuer.client("some-service", ["analytics:read", "analytics:track"]);
    const unknown = Bun.randomUUIDv7();
    const before = await t.db.select().from(siteShares);
    const cases: [string, string, string | undefined, number][] = [
      ["POST", sharesOf(siteId), stranger.token, 403],
      ["GET", sharesOf(siteId), stranger.token, 403],
      ["DELETE", `${sharesOf(siteId)}/${share.id}`, stranger.token, 403],
      ["POST", sharesOf(unknown), stranger.token, 403],
      ["GET", sharesOf(unknown), owner.token, 403],
      ["POST", sharesOf(unknown), admin.token, 404],
      ["GET", sharesOf(unknown), admin.token, 404],
      ["DELETE", `${sharesOf(unknown)}/${share.id}`, admin.token, 404],
      // A share link of another site, and one that is not there.
      ["DELETE", `${sharesOf(otherSiteId)}/${share.id}`, admin.token, 404],
      ["DELETE", `${sharesOf(siteId)}/${Bun.randomUUIDv7()}`, owner.token, 404],
      ["POST", sharesOf(siteId), client, 403],
      ["GET", sharesOf(siteId), undefined, 401],
      ["POST", sharesOf(siteId), undefined, 401],
    ];
    for (const [method, path, token, status] of cases) {
      const response = await t.call(method, path, { token, body: method === "POST" ? {} : undefined });
      expect(`${method} ${path} ${response.status}`).toBe(`${method} ${path} ${status}`);
      expect(response.json.error.code).toBeString();
    }
    // A share link reads stats; it does not manage links.
    const byLink = await t.call("GET", `${sharesOf(siteId)}?share=${share.token}`, { headers: { [SHARE_HEADER]: share.token } });
    expect(byLink.status).toBe(401);
    expect(await t.db.select().from(siteShares)).toEqual(before);
    expect(await opens(siteId, share.token)).toBe(200);
  });

  test("deleting the site deletes its links", async () => {
    const id = await insertSite("gone.example", owner.id);
    const { token } = (await t.call("POST", sharesOf(id), { token: owner.token, body: {} })).json;
    await t.db.delete(sites).where(eq(sites.id, id));
    expect(await t.db.select().from(siteShares).where(eq(siteShares.siteId, id))).toEqual([]);
    expect(await opens(id, token)).toBe(403);
  });
});
