import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestAnalytics, type TestAnalytics } from "./harness";

let t: TestAnalytics;
beforeAll(async () => {
  t = await startTestAnalytics();
});
afterAll(() => t.close());

describe("the analytics service", () => {
  test("starts, is ready and serves its OpenAPI document", async () => {
    expect((await t.call("GET", "/ready")).status).toBe(200);
    const document = await t.call("GET", "/analytics/openapi.json");
    expect(document.status).toBe(200);
    expect(document.json.info.title).toBe("Lodge analytics");
  });
});
