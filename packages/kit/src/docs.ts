/**
 * The `/docs` page: every service's OpenAPI document in one Scalar reference. Scalar's standalone
 * browser bundle is served from the installed package (no CDN), so the page works offline and runs
 * no third-party script on the API's origin.
 */

import { etagMatches } from "./etag";

export type DocsSource = { title: string; url: string };

/**
 * What the page may do: its own scripts (the bundle, and the two inline ones, allowed by their hashes),
 * fetch the OpenAPI documents from this origin, and style itself (Scalar injects <style> elements
 * for its theme). No fonts from Scalar's CDN (`withDefaultFonts: false`), no proxy, no framing.
 */
function docsPolicy(inlineScripts: string[]): string {
  const hashes = inlineScripts.map((script) => `'sha256-${sha256(script, "base64")}'`);
  return [
    "default-src 'none'",
    `script-src 'self' ${hashes.join(" ")}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

const sha256 = (data: string | Uint8Array, encoding: "base64" | "hex") => new Bun.CryptoHasher("sha256").update(data).digest(encoding);

/**
 * Built once at boot: reads and hashes the bundle (`bundlePath`: `@scalar/api-reference`'s
 * `dist/browser/standalone.js`). The returned handler answers `GET /docs` and the bundle at
 * `/docs/scalar.js?v=<hash>` (cached for a year; the hash changes with the package), and returns
 * undefined for any other path.
 */
export async function createDocsHandler(options: { sources: DocsSource[]; bundlePath: string }) {
  const bundle = await Bun.file(options.bundlePath).bytes();
  const etag = `"${sha256(bundle, "hex").slice(0, 32)}"`;
  const bundleUrl = `/docs/scalar.js?v=${etag.slice(1, 17)}`;
  const config = JSON.stringify({ sources: options.sources, theme: "default", hideClientButton: false, withDefaultFonts: false }).replaceAll("<", "\\u003c");
  // The zod inside the bundle probes for eval (`Function("")`) unless told to run without it: the
  // probe would only show up as a CSP violation, since 'unsafe-eval' is not allowed.
  const beforeBundle = "globalThis.__zod_globalConfig = { jitless: true };";
  const start = `Scalar.createApiReference("#app", ${config});`;
  const page = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Lodge API reference</title></head>
<body>
<div id="app"></div>
<script>${beforeBundle}</script>
<script src="${bundleUrl}"></script>
<script>${start}</script>
</body>
</html>`;
  const pageHeaders = {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": docsPolicy([beforeBundle, start]),
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  };
  const bundleHeaders = {
    "content-type": "text/javascript; charset=utf-8",
    "cache-control": "public, max-age=31536000, immutable",
    etag,
    "x-content-type-options": "nosniff",
  };

  return (request: Request): Response | undefined => {
    const { pathname } = new URL(request.url);
    if (pathname !== "/docs" && pathname !== "/docs/scalar.js") return undefined;
    if (request.method !== "GET" && request.method !== "HEAD") return new Response(null, { status: 405, headers: { allow: "GET, HEAD" } });
    if (pathname === "/docs") return new Response(page, { headers: pageHeaders });
    if (etagMatches(request.headers.get("if-none-match"), etag)) return new Response(null, { status: 304, headers: bundleHeaders });
    return new Response(bundle, { headers: bundleHeaders });
  };
}
