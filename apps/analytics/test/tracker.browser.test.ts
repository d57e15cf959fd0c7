/**
 * The tracker in a real headless Chromium (Debian's `chromium`, driven by playwright-core): a page
 * served by a small local server loads the script from the analytics service; loading it, a
 * single-page navigation (pushState), a hash route, going back, a custom event (one queued before
 * the script loaded too), a file download and an outbound link each send one event, and the script
 * sets no cookie and stores nothing. Pages on localhost (without data-allow-localhost), excluded
 * pages and (with data-respect-dnt) browsers asking not to be tracked send nothing. Scripts run in
 * the page are strings: the repository's types have no DOM.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually } from "@lodge/kit/testing";
import type { Browser, BrowserContext } from "playwright-core";
import { launchChromium } from "../../../test/e2e/browser";
import { startTestAnalytics, type TestAnalytics } from "./harness";

/** What a desktop Chrome says it is: the ingest drops HeadlessChrome as a bot. */
const userAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const siteKey = "browser-test-key";

type Sent = { contentType: string | null; body: Record<string, unknown> };

let t: TestAnalytics;
let browser: Browser;
let pages: ReturnType<typeof Bun.serve>;
/** What the script sent, as the ingest endpoint received it. */
const sent: Sent[] = [];

/** A page of the site: the queue snippet with one early call, then the script tag with `attributes`. */
function page(attributes: string) {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>A site</title>
<script>
  window.lodge = window.lodge || function () { (window.lodge.q = window.lodge.q || []).push(arguments) };
  lodge("Queued Early", { when: "before load" });
</script>
<script defer data-site-key="${siteKey}" data-api="${pagesUrl()}/events" ${attributes} src="${t.url}/analytics/script.js"></script>
</head><body>
<a id="download" href="/files/report.pdf">The report</a>
<a id="outbound" href="http://localhost:${pages.port}/elsewhere">Elsewhere</a>
</body></html>`;
}

const pagesUrl = () => `http://127.0.0.1:${pages.port}`;
const html = (text: string) => new Response(text, { headers: { "content-type": "text/html; charset=utf-8" } });

beforeAll(async () => {
  t = await startTestAnalytics();
  browser = await launchChromium();
  pages = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const { pathname } = new URL(request.url);
      if (request.method === "POST" && pathname === "/events") {
        sent.push({ contentType: request.headers.get("content-type"), body: JSON.parse(await request.text()) });
        return new Response(null, { status: 202, headers: { "access-control-allow-origin": "*" } });
      }
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
});
afterAll(async () => {
  await browser?.close();
  pages?.stop(true);
  await t?.close();
});

async function openContext(): Promise<BrowserContext> {
  return browser.newContext({ userAgent, viewport: { width: 1280, height: 800 }, screen: { width: 1440, height: 900 }, acceptDownloads: true });
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
    await eventually(() => sent.length >= 2);
    await tab.evaluate(`history.pushState({}, "", "/app/settings?tab=1")`);
    // The same address again is no new page.
    await tab.evaluate(`history.replaceState({ scrolled: true }, "")`);
    await eventually(() => sent.length >= 3);
    await tab.evaluate(`location.hash = "#/profile"`);
    await eventually(() => sent.length >= 4);
    await tab.evaluate(`lodge.track("Signup", { plan: "pro", seats: 3 })`);
    await eventually(() => sent.length >= 5);
    await tab.evaluate(`history.pushState({}, "", "/app/private/notes")`);
    await excluded;
    await tab.evaluate("history.back()");
    await eventually(() => sent.length >= 6);
    const download = tab.waitForEvent("download");
    await tab.click("#download");
    await download;
    await eventually(() => sent.length >= 7);

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
    await eventually(() => sent.length >= 8);
    expect(await context.cookies()).toEqual([]);
    await context.close();

    const common = { siteKey, referrer: "https://news.example/item?id=1", screenWidth: 1440 };
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
    expect(sent.map((request) => request.body)).toEqual(expected);
    // Beacons: text/plain, so the browser sends them cross-origin without a preflight.
    for (const request of sent) expect(request.contentType).toBe("text/plain;charset=UTF-8");
  }, 120_000);

  test("on localhost without data-allow-localhost, and with data-respect-dnt for a browser sending Global Privacy Control, nothing is sent", async () => {
    const before = sent.length;
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
    expect(sent.length).toBe(before);
  }, 60_000);
});
