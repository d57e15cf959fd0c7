/**
 * The tracker in a real headless Chromium (Debian's `chromium`, driven by playwright-core): a page
 * of a site (created through the API) served by a small local server loads the script from the
 * analytics service; loading it, a single-page navigation (pushState), a hash route, going back, a
 * custom event (one queued before the script loaded too), a file download and an outbound link each
 * send one event to the service's ingest, cross-origin, and each is stored by the writer; the script
 * sets no cookie and stores nothing. Pages on localhost (without data-allow-localhost), excluded
 * pages and (with data-respect-dnt) browsers asking not to be tracked send nothing. Scripts run in
 * the page are strings: the repository's types have no DOM.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { queryRows } from "@lodge/db";
import { eventually } from "@lodge/kit/testing";
import { sql } from "drizzle-orm";
import type { Browser, BrowserContext } from "playwright-core";
import { launchChromium } from "../../../test/e2e/browser";
import { startTestAnalytics, type TestAnalytics } from "./harness";

/** What a desktop Chrome says it is: the ingest drops HeadlessChrome as a bot. */
const userAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

type Sent = { contentType: string | undefined; body: Record<string, unknown> };

let t: TestAnalytics;
let browser: Browser;
let pages: ReturnType<typeof Bun.serve>;
let site: { id: string; siteKey: string };
/** What the script sent to the ingest, as the browser sent it, and the ingest's answers. */
const sent: Sent[] = [];
const answered: number[] = [];

/** A page of the site: the queue snippet with one early call, then the script tag with `attributes`. */
function page(attributes: string) {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>A site</title>
<script>
  window.lodge = window.lodge || function () { (window.lodge.q = window.lodge.q || []).push(arguments) };
  lodge("Queued Early", { when: "before load" });
</script>
<script defer data-site-key="${site.siteKey}" ${attributes} src="${t.url}/analytics/script.js"></script>
</head><body>
<a id="download" href="/files/report.pdf">The report</a>
<a id="outbound" href="http://localhost:${pages.port}/elsewhere">Elsewhere</a>
</body></html>`;
}

const pagesUrl = () => `http://127.0.0.1:${pages.port}`;
const html = (text: string) => new Response(text, { headers: { "content-type": "text/html; charset=utf-8" } });

// Chromium and the service start slowly on a loaded machine: more than the default 5 s for a hook.
beforeAll(async () => {
  t = await startTestAnalytics();
  // The page server's address is the site's domain: its pages' origin may send the site's events.
  const created = await t.call("POST", "/analytics/sites", { token: (await t.issuer.admin()).token, body: { domain: "127.0.0.1", name: "A site" } });
  expect(created.status).toBe(201);
  site = created.json;
  browser = await launchChromium();
  pages = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(request) {
      const { pathname } = new URL(request.url);
      if (pathname.startsWith("/app/"))
        return html(page('data-hash data-outbound-links data-file-downloads data-allow-localhost data-exclude="/app/private/**"'));
      if (pathname.startsWith("/local/")) return html(page(""));
      if (pathname.startsWith("/dnt/")) return html(page("data-allow-localhost data-respect-dnt"));
      if (pathname === "/files/report.pdf")
        return new Response("%PDF-1.4", { headers: { "content-type": "application/pdf", "content-disposition": "attachment" } });
      if (pathname === "/elsewhere") return html("<!doctype html><title>Elsewhere</title><p>Another site");
      return new Response("not found", { status: 404 });
    },
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  pages?.stop(true);
  await t?.close();
}, 60_000);

/** A browser window of its own; what its pages send to the ingest (and what it answers) is recorded. */
async function openContext(): Promise<BrowserContext> {
  const context = await browser.newContext({ userAgent, viewport: { width: 1280, height: 800 }, screen: { width: 1440, height: 900 }, acceptDownloads: true });
  const ingest = `${t.url}/analytics/events`;
  context.on("request", (request) => {
    if (request.url() === ingest) sent.push({ contentType: request.headers()["content-type"], body: JSON.parse(request.postData() ?? "null") });
  });
  context.on("response", (response) => {
    if (response.url() === ingest) answered.push(response.status());
  });
  return context;
}

/** `eventually`, with room for a loaded machine (the browser, the service and its writer share two cores with other tests). */
const soon = <T>(check: () => Promise<T> | T) => eventually(check, 30_000);

/** The site's stored events, once there are `count`. */
async function stored(count: number) {
  return soon(async () => {
    const rows = await queryRows<Record<string, unknown>>(
      t.db,
      sql`select name, hostname, pathname, referrer, source, browser, os, device, screen_width, props, visitor_id::text, visit_start
          from analytics.events where site_id = ${site.id} order by id`,
    );
    return rows.length >= count && rows;
  });
}

/** Resolves with the console line starting with `prefix` that a page logs. */
function consoleLine(context: BrowserContext, prefix: string) {
  return new Promise<string>((resolve) => {
    context.on("console", (message) => {
      if (message.text().startsWith(prefix)) resolve(message.text());
    });
  });
}

describe("the tracker in a browser", () => {
  test("pageviews, SPA and hash navigation, back, custom and queued events, a download and an outbound link; no cookie, nothing stored", async () => {
    const context = await openContext();
    const tab = await context.newPage();
    const base = pagesUrl();
    const excluded = consoleLine(context, "lodge: ignoring pageview (excluded page)");

    await tab.goto(`${base}/app/`, { referer: "https://news.example/item?id=1", waitUntil: "load" });
    await soon(() => answered.length >= 2);
    await tab.evaluate(`history.pushState({}, "", "/app/settings?tab=1")`);
    // The same address again is no new page.
    await tab.evaluate(`history.replaceState({ scrolled: true }, "")`);
    await soon(() => answered.length >= 3);
    await tab.evaluate(`location.hash = "#/profile"`);
    await soon(() => answered.length >= 4);
    await tab.evaluate(`lodge.track("Signup", { plan: "pro", seats: 3 })`);
    await soon(() => answered.length >= 5);
    await tab.evaluate(`history.pushState({}, "", "/app/private/notes")`);
    await excluded;
    await tab.evaluate("history.back()");
    await soon(() => answered.length >= 6);
    const download = tab.waitForEvent("download");
    await tab.click("#download");
    await download;
    await soon(() => answered.length >= 7);

    expect(await context.cookies()).toEqual([]);
    expect(
      await tab.evaluate(`(async () => ({
        cookie: document.cookie,
        local: localStorage.length,
        session: sessionStorage.length,
        databases: (await indexedDB.databases()).length,
      }))()`),
    ).toEqual({ cookie: "", local: 0, session: 0, databases: 0 });

    await tab.click("#outbound");
    await tab.waitForURL(`http://localhost:${pages.port}/elsewhere`);
    // The beacon sent as the page unloads outlives it; the browser does not always report it (nor
    // its answer) to the test once the page is gone, so its arrival is seen in what is stored.
    const rows = await stored(8);
    expect(await context.cookies()).toEqual([]);
    await context.close();

    const common = { siteKey: site.siteKey, referrer: "https://news.example/item?id=1", screenWidth: 1440 };
    const expected = [
      { name: "pageview", url: `${base}/app/`, props: {} },
      { name: "Queued Early", url: `${base}/app/`, props: { when: "before load" } },
      { name: "pageview", url: `${base}/app/settings?tab=1`, props: {} },
      { name: "pageview", url: `${base}/app/settings?tab=1#/profile`, props: {} },
      { name: "Signup", url: `${base}/app/settings?tab=1#/profile`, props: { plan: "pro", seats: "3" } },
      { name: "pageview", url: `${base}/app/settings?tab=1#/profile`, props: {} },
      { name: "File Download", url: `${base}/app/settings?tab=1#/profile`, props: { url: `${base}/files/report.pdf` } },
      { name: "Outbound Link: Click", url: `${base}/app/settings?tab=1#/profile`, props: { url: `http://localhost:${pages.port}/elsewhere` } },
    ].map((event) => ({ ...common, ...event }));
    expect(sent.length).toBeGreaterThanOrEqual(expected.length - 1);
    expect(sent.map((request) => request.body)).toEqual(expected.slice(0, sent.length));
    // Beacons: text/plain, so the browser sends them cross-origin without a preflight; each was queued (202).
    for (const request of sent) expect(request.contentType).toBe("text/plain;charset=UTF-8");
    expect(answered).toEqual(answered.map(() => 202));

    // Stored by the writer: the page (a hash route is a page of its own), where the visitor came
    // from, the browser as its user agent says, one visitor and one visit.
    expect(rows).toHaveLength(expected.length);
    const visitors = new Set(rows.map((row) => `${row.visitor_id} ${row.visit_start}`));
    expect(visitors.size).toBe(1);
    const described = rows.map(({ visitor_id: _visitor, visit_start: _visit, ...row }) => row);
    const from = {
      hostname: "127.0.0.1",
      referrer: "https://news.example/item",
      source: "news.example",
      browser: "Chrome",
      os: "Linux",
      device: "desktop",
      screen_width: 1440,
    };
    const event = (name: string, pathname: string, props: Record<string, string> = {}) => ({ ...from, name, pathname, props });
    const byName = (a: Record<string, unknown>, b: Record<string, unknown>) => `${a.name}${a.pathname}`.localeCompare(`${b.name}${b.pathname}`);
    expect(described.sort(byName)).toEqual(
      [
        event("pageview", "/app/"),
        event("Queued Early", "/app/", { when: "before load" }),
        event("pageview", "/app/settings"),
        event("pageview", "/app/settings#/profile"),
        event("Signup", "/app/settings#/profile", { plan: "pro", seats: "3" }),
        event("pageview", "/app/settings#/profile"),
        event("File Download", "/app/settings#/profile", { url: `${base}/files/report.pdf` }),
        event("Outbound Link: Click", "/app/settings#/profile", { url: `http://localhost:${pages.port}/elsewhere` }),
      ].sort(byName),
    );
  }, 120_000);

  test("on localhost without data-allow-localhost, and with data-respect-dnt for a browser sending Global Privacy Control, nothing is sent", async () => {
    const before = { sent: sent.length, stored: (await stored(0)).length };
    const context = await openContext();
    const ignoredLocal = consoleLine(context, "lodge: ignoring pageview (localhost)");
    const ignoredQueued = consoleLine(context, "lodge: ignoring Queued Early (localhost)");
    const tab = await context.newPage();
    await tab.goto(`${pagesUrl()}/local/`, { waitUntil: "load" });
    await Promise.all([ignoredLocal, ignoredQueued]);

    const ignoredDnt = consoleLine(context, "lodge: ignoring pageview (Do Not Track)");
    await tab.addInitScript({ content: "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });" });
    await tab.goto(`${pagesUrl()}/dnt/`, { waitUntil: "load" });
    await ignoredDnt;
    await context.close();
    // Each event is checked before anything is sent: an ignored one is logged instead.
    expect(sent.length).toBe(before.sent);
    expect(await stored(0)).toHaveLength(before.stored);
  }, 60_000);
});
