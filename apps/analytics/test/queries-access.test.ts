/**
 * Who may read a site's stats, on every query route: admins, the site's owner, and anyone holding
 * a live share link of that site (header or `?share=`); another user, a service client, a revoked
 * link or another site's link is 403; no credentials 401; bad tokens 401; an unknown site 404 for
 * admins and 403 for others. Share links are stored as the share routes store them (hash only).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { siteShares } from "@lodge/db/schema";
import { secretTokenHash } from "@lodge/kit";
import { call, expectErrorShape, sweepAuthorizations } from "@lodge/kit/testing";
import { createSite } from "./fixtures";
import { startTestAnalytics, type TestAnalytics } from "./harness";

let t: TestAnalytics;
let owner: { id: string; token: string };
let siteId: string;
let liveToken: string;
let revokedToken: string;
let otherSiteToken: string;

const paths = ["stats", "timeseries", "breakdown/pages", "breakdown/props/plan", "realtime"];

async function share(forSite: string, revoked = false) {
  const token = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  await t.db.insert(siteShares).values({ siteId: forSite, tokenHash: secretTokenHash(token), revokedAt: revoked ? t.clock.now() : null });
  return token;
}

beforeAll(async () => {
  t = await startTestAnalytics({ jobs: false });
  owner = await t.user();
  siteId = (await createSite(t, { ownerId: owner.id })).id;
  liveToken = await share(siteId);
  revokedToken = await share(siteId, true);
  otherSiteToken = await share((await createSite(t)).id);
});
afterAll(() => t.close());

const each = async (request: (path: string) => Promise<{ status: number }>) => Promise.all(paths.map(async (path) => [path, (await request(path)).status]));
const everyRoute = (status: number) => paths.map((path) => [path, status]);
const siteCall = (path: string, options: { token?: string; headers?: Record<string, string> } = {}, site = siteId) =>
  t.call("GET", `/analytics/sites/${site}/${path}`, options);

describe("reading a site's stats", () => {
  test("admins and the site's owner may", async () => {
    const admin = await t.issuer.admin();
    expect(await each((path) => siteCall(path, { token: admin.token }))).toEqual(everyRoute(200));
    expect(await each((path) => siteCall(path, { token: owner.token }))).toEqual(everyRoute(200));
  });

  test("a live share link of the site may, in the header or the query, signed in or not", async () => {
    expect(await each((path) => siteCall(path, { headers: { "x-lodge-share": liveToken } }))).toEqual(everyRoute(200));
    expect(await each((path) => siteCall(`${path}?share=${liveToken}`))).toEqual(everyRoute(200));
    const stranger = await t.user();
    expect(await each((path) => siteCall(path, { token: stranger.token, headers: { "x-lodge-share": liveToken } }))).toEqual(everyRoute(200));
  });

  test("another user, a service client, a revoked link, another site's link or a made-up one may not (403)", async () => {
    const stranger = await t.user();
    const client = await t.issuer.client("bot-service", ["analytics:track", "analytics:export"]);
    for (const options of [
      { token: stranger.token },
      { token: client },
      { headers: { "x-lodge-share": revokedToken } },
      { headers: { "x-lodge-share": otherSiteToken } },
      { headers: { "x-lodge-share": "made-up" } },
    ]) {
      for (const path of paths) {
        const response = await siteCall(path, options);
        expect([path, response.status]).toEqual([path, 403]);
        expectErrorShape(response, path);
      }
    }
  });

  test("no credentials is 401; an unknown site is 404 for an admin and 403 for anyone else", async () => {
    expect(await each((path) => siteCall(path))).toEqual(everyRoute(401));
    const admin = await t.issuer.admin();
    const unknown = Bun.randomUUIDv7();
    expect(await each((path) => siteCall(path, { token: admin.token }, unknown))).toEqual(everyRoute(404));
    expect(await each((path) => siteCall(path, { token: owner.token }, unknown))).toEqual(everyRoute(403));
    expect(await each((path) => siteCall(path, { headers: { "x-lodge-share": liveToken } }, unknown))).toEqual(everyRoute(403));
  });

  test("missing, garbage, tampered and alg:none tokens are 401 in the error shape on every route", async () => {
    await sweepAuthorizations({
      routes: paths.map((path) => ["GET", `/analytics/sites/${siteId}/${path}`] as const),
      token: owner.token,
      send: (method, path, headers) => call(t.url, method, path, { headers }),
    });
  });
});
