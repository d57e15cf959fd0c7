/**
 * A headless Chromium (Debian's `chromium` package, driven by playwright-core) with no network
 * beyond loopback: every request to another host is aborted and recorded, so a page that needs a
 * CDN fails visibly and the test can say what it tried to reach. CSP violations are recorded too.
 */
import { type Browser, chromium, type Page } from "playwright-core";

export type OfflinePage = {
  page: Page;
  /** URLs the page tried to load from anywhere but 127.0.0.1 (all aborted). */
  outside: string[];
  /** Content-Security-Policy violations the page reported. */
  violations: string[];
  close: () => Promise<void>;
};

export async function launchChromium(): Promise<Browser> {
  const executablePath = Bun.which("chromium");
  if (!executablePath) throw new Error("chromium was not found on the PATH (apt-get install chromium)");
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}

export async function openOffline(browser: Browser, url: string): Promise<OfflinePage> {
  const context = await browser.newContext({ serviceWorkers: "block" });
  const outside: string[] = [];
  const violations: string[] = [];
  await context.route("**/*", (route) => {
    const target = new URL(route.request().url());
    if ((target.protocol === "http:" || target.protocol === "https:") && target.hostname === "127.0.0.1") return route.continue();
    // data: and blob: never reach the network; anything else does and is refused.
    if (target.protocol === "data:" || target.protocol === "blob:") return route.continue();
    outside.push(target.href);
    return route.abort("internetdisconnected");
  });
  const page = await context.newPage();
  // Chromium reports a violation both as an event in the page and as a console error.
  await page.exposeFunction("__lodgeViolation", (line: string) => violations.push(line));
  // A string, not a function: this runs in the page, and the repository's types have no DOM.
  await page.addInitScript({
    content: `document.addEventListener("securitypolicyviolation", (event) =>
      __lodgeViolation(event.violatedDirective + " " + event.blockedURI + " at " + event.sourceFile + ":" + event.lineNumber + ":" + event.columnNumber));`,
  });
  page.on("console", (message) => {
    if (message.type() === "error" && message.text().includes("Content Security Policy")) violations.push(message.text());
  });
  await page.goto(url, { waitUntil: "load" });
  return { page, outside, violations, close: () => context.close() };
}
