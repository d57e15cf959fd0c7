/** The /docs handler: Scalar's bundle from a local file (never a CDN), a tight CSP, a cached bundle. */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDocsHandler } from "@lodge/kit";

const scratch = mkdtempSync(join(tmpdir(), "lodge-docs-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
// Stands in for @scalar/api-reference's dist/browser/standalone.js (the real one runs in test/e2e/dev.test.ts).
const bundlePath = join(scratch, "standalone.js");
writeFileSync(bundlePath, "globalThis.Scalar = { createApiReference() {} };");

const docs = await createDocsHandler({ sources: [{ title: "auth", url: "/auth/openapi.json" }], bundlePath });
const get = (path: string, headers: Record<string, string> = {}) => docs(new Request(`http://127.0.0.1${path}`, { headers }));

test("the page loads Scalar from this origin only, under a CSP that allows its own scripts and the inline ones by hash", async () => {
  const page = get("/docs") as Response;
  expect(page.status).toBe(200);
  const html = await page.text();
  const scripts = [...html.matchAll(/<script( src="([^"]+)")?>([^<]*)<\/script>/g)];
  const sources = scripts.flatMap((match) => (match[2] ? [match[2]] : []));
  expect(sources).toHaveLength(1);
  expect(sources[0]).toMatch(/^\/docs\/scalar\.js\?v=[0-9a-f]{16}$/);
  expect(html).not.toContain("cdn.");
  expect(html).toContain('"url":"/auth/openapi.json"');

  const policy = page.headers.get("content-security-policy") ?? "";
  expect(policy).toContain("default-src 'none'");
  expect(policy).toContain("connect-src 'self'");
  expect(policy).toContain("frame-ancestors 'none'");
  expect(policy).not.toContain("unsafe-eval");
  expect(policy).not.toMatch(/https?:/);
  // Every inline script is allowed by its own hash and nothing else inline is.
  const inline = scripts.filter((match) => !match[2]).map((match) => match[3] ?? "");
  const hashes = inline.map((script) => `'sha256-${new Bun.CryptoHasher("sha256").update(script).digest("base64")}'`);
  expect(policy).toContain(`script-src 'self' ${hashes.join(" ")};`);
});

test("the bundle is the installed file, cached for a year with an ETag that answers 304", async () => {
  const bundle = get("/docs/scalar.js?v=whatever") as Response;
  expect(bundle.status).toBe(200);
  expect(bundle.headers.get("content-type")).toContain("javascript");
  expect(bundle.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
  expect(await bundle.text()).toBe(await Bun.file(bundlePath).text());
  const etag = bundle.headers.get("etag") ?? "";
  expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
  const again = get("/docs/scalar.js", { "if-none-match": etag }) as Response;
  expect(again.status).toBe(304);
  expect(await again.text()).toBe("");
});

test("anything else is left to the router; other methods are refused", () => {
  expect(get("/docs/other.js")).toBeUndefined();
  expect(get("/auth/openapi.json")).toBeUndefined();
  expect(docs(new Request("http://127.0.0.1/docs", { method: "POST" }))?.status).toBe(405);
});
