/**
 * Web analytics end to end through the production Caddyfile: an admin registers a site, a page of
 * that site (served by a small local server, another origin) loads the tracker from Lodge's public
 * /analytics/script.js in a headless Chromium, the tracker's beacons reach the ingest through Caddy,
 * the writer stores them, the rollups job rolls them up, and the site's stats read through Caddy
 * count them; a page of another origin is refused.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually } from "@lodge/kit/testing";
import type { Browser } from "playwright-core";
import { launchChromium } from "./browser";
import { call, type Stack, startStack } from "./stack";

/** What a desktop Chrome says it is: the ingest drops HeadlessChrome as a bot. */
const userAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

let stack: Stack;
let browser: Browser;
let pages: ReturnType<typeof Bun.serve>;
let adminToken: string;
let site: { id: string; siteKey: string };

beforeAll(async () => {
  stack = await startStack({ services: { analytics: { ANALYTICS_ROLLUP_INTERVAL_MS: "200" } } });
  adminToken = await stack.admin();
  const registered = await call(stack.url, "POST", "/analytics/sites", { token: adminToken, body: { domain: "127.0.0.1", name: "A site" } });
  expect(registered.status).toBe(201);
  site = registered.json;
  browser = await launchChromium();
  pages = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: () =>
      new Response(
        `<!doctype html><html><head><meta charset="utf-8"><title>A page</title>
<script defer data-site-key="${site.siteKey}" data-allow-localhost src="${stack.url}/analytics/script.js"></script>
</head><body>A page</body></html>`,
        { headers: { "content-type": "text/html; charset=utf-8" } },
      ),
  });
}, 90_000);
afterAll(async () => {
  await browser?.close();
  pages?.stop(true);
  await stack?.stop();
});

/** Whole days around now, so a run across midnight counts the same events. */
function daysAroundNow() {
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  return `period=custom&from=${day(-1)}&to=${day(1)}`;
}

describe("a site's visits through Caddy", () => {
  test("the tracker's pageviews are stored, rolled up and read back in the stats", async () => {
    const context = await browser.newContext({ userAgent });
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${pages.port}/pricing`, { waitUntil: "load" });
    await page.waitForFunction("typeof window.lodge === 'function'");
    // A single-page navigation: the second pageview of the same visit.
    await page.evaluate("history.pushState({}, '', '/signup')");
    await page.evaluate("window.lodge('Signup', { props: { plan: 'team' } })");

    const stats = async () => (await call(stack.url, "GET", `/analytics/sites/${site.id}/stats?${daysAroundNow()}`, { token: adminToken })).json.results;
    await eventually(async () => {
      const figures = await stats();
      return figures.pageviews?.value === 2 && figures.visitors?.value === 1 && figures.visits?.value === 1;
    }, 30_000);
    const pagesBreakdown = await call(stack.url, "GET", `/analytics/sites/${site.id}/breakdown/pages?${daysAroundNow()}`, { token: adminToken });
    expect(pagesBreakdown.status).toBe(200);
    expect(JSON.stringify(pagesBreakdown.json)).toContain("/signup");
    // The custom event is its own ingest request, which may be stored after the pageviews waited for above.
    const events = await eventually(async () => {
      const response = await call(stack.url, "GET", `/analytics/sites/${site.id}/breakdown/events?${daysAroundNow()}`, { token: adminToken });
      return JSON.stringify(response.json).includes("Signup") && response;
    }, 30_000);
    expect(JSON.stringify(events.json)).toContain("Signup");
    await context.close();
  }, 60_000);

  test("a page of another origin is refused at the ingest", async () => {
    const refused = await fetch(`${stack.url}/analytics/events`, {
      method: "POST",
      headers: { "content-type": "text/plain", origin: "https://elsewhere.example", "user-agent": userAgent },
      body: JSON.stringify({ siteKey: site.siteKey, name: "pageview", url: "https://elsewhere.example/" }),
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
  });
});
