import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestAnalytics, type TestAnalytics } from "./harness";

let t: TestAnalytics;
beforeAll(async () => {
  t = await startTestAnalytics();
});
afterAll(() => t.close());

describe("GET /analytics/script.js", () => {
  test("is the minified tracker, under 2 KB gzipped, as JavaScript, cached an hour with a strong ETag", async () => {
    const response = await t.call("GET", "/analytics/script.js");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/javascript; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("public, max-age=3600, stale-while-revalidate=86400");
    expect(response.headers.get("etag")).toMatch(/^"[\w-]{27}"$/);
    // Minified: no comments, and far smaller than the source.
    const source = await Bun.file(new URL("../tracker/tracker.js", import.meta.url)).text();
    expect(response.text).not.toContain("/**");
    expect(response.text.length).toBeLessThan(source.length / 2);
    expect(response.text).toContain("sendBeacon");
    const gzipped = Bun.gzipSync(response.text).length;
    expect(gzipped).toBeLessThan(2048);
    console.info(`tracker: ${response.text.length} bytes minified, ${gzipped} gzipped`);
  });

  test("If-None-Match with its ETag (or a list naming it, or its weak form) is 304 without a body; another ETag gets the script", async () => {
    const etag = (await t.call("GET", "/analytics/script.js")).headers.get("etag") as string;
    for (const ifNoneMatch of [etag, `"other", ${etag}`, `W/${etag}`, "*"]) {
      const response = await t.call("GET", "/analytics/script.js", { headers: { "if-none-match": ifNoneMatch } });
      expect(response.status).toBe(304);
      expect(response.text).toBe("");
      expect(response.headers.get("etag")).toBe(etag);
    }
    const other = await t.call("GET", "/analytics/script.js", { headers: { "if-none-match": '"stale"' } });
    expect(other.status).toBe(200);
    expect(other.text.length).toBeGreaterThan(0);
  });

  test("HEAD answers the same headers without a body", async () => {
    const get = await t.call("GET", "/analytics/script.js");
    const head = await t.call("HEAD", "/analytics/script.js");
    expect(head.status).toBe(200);
    expect(head.text).toBe("");
    for (const name of ["content-type", "etag", "cache-control"]) expect(head.headers.get(name)).toBe(get.headers.get(name));
    const conditional = await t.call("HEAD", "/analytics/script.js", { headers: { "if-none-match": get.headers.get("etag") as string } });
    expect(conditional.status).toBe(304);
  });

  test("every instance serves the same bytes under the same ETag (a rolling deploy keeps browsers' copies valid)", async () => {
    const other = await t.startInstance();
    const [first, second] = await Promise.all([t.call("GET", "/analytics/script.js"), other.call("GET", "/analytics/script.js")]);
    expect(second.headers.get("etag")).toBe(first.headers.get("etag"));
    expect(second.text).toBe(first.text);
    await other.close();
  });
});
