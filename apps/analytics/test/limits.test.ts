import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ingestStream } from "../src/helpers/ingest-stream";
import { createSite } from "./fixtures";
import { startTestAnalytics, type TestAnalytics } from "./harness";

/** No writer runs: what a request queued is read from the stream, and a refused request must have queued nothing. */
let t: TestAnalytics;
let siteKey: string;
const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
beforeAll(async () => {
  t = await startTestAnalytics({
    writer: false,
    env: { ANALYTICS_MAX_BODY_BYTES: "100000", ANALYTICS_RATE_PER_IP: "5", ANALYTICS_RATE_PER_SITE: "8" },
  });
  siteKey = (await createSite(t)).siteKey;
});
afterAll(() => t.close());

let clients = 0;
const newClient = () => `198.51.100.${++clients}`;
const send = (body: unknown, headers: Record<string, string> = {}) =>
  t.call("POST", "/analytics/events", {
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "content-type": "application/json", "user-agent": firefox, "x-forwarded-for": newClient(), ...headers },
  });
const queued = () => t.redis.xlen(ingestStream(t.prefix));
const event = (more: Record<string, unknown> = {}) => ({ name: "pageview", url: "https://example.com/", ...more });

describe("limits", () => {
  test("whole-request errors are 4xx in the error shape and queue nothing", async () => {
    const before = await queued();
    const cases: [unknown, Record<string, string>, number, string][] = [
      ["{not json", {}, 400, "VALIDATION_FAILED"],
      ["", {}, 400, "VALIDATION_FAILED"],
      [{ siteKey, events: Array.from({ length: 101 }, () => event()) }, {}, 422, "VALIDATION_FAILED"],
      [{ siteKey, events: [] }, {}, 422, "VALIDATION_FAILED"],
      [{ siteKey, events: "many" }, {}, 422, "VALIDATION_FAILED"],
      [{ events: [event()] }, {}, 422, "VALIDATION_FAILED"],
      [[event()], {}, 422, "VALIDATION_FAILED"],
      [{ siteKey: "not-a-site", ...event() }, {}, 404, "NOT_FOUND"],
      [{ siteKey, ...event() }, { "content-type": "application/x-www-form-urlencoded" }, 415, "UNSUPPORTED_MEDIA_TYPE"],
      [{ siteKey, ...event() }, { "content-type": "multipart/form-data; boundary=x" }, 415, "UNSUPPORTED_MEDIA_TYPE"],
      [{ siteKey, ...event({ props: { pad: "x".repeat(100_001) } }) }, {}, 413, "PAYLOAD_TOO_LARGE"],
    ];
    for (const [body, headers, status, code] of cases) {
      const reply = await send(body, headers);
      expect({ body: JSON.stringify(body).slice(0, 40), status: reply.status, code: reply.json?.error?.code }).toEqual({
        body: JSON.stringify(body).slice(0, 40),
        status,
        code,
      });
    }
    expect(await queued()).toBe(before);
  });

  test("a body over the limit sent without a length (chunked) is 413 too", async () => {
    const chunk = new TextEncoder().encode(`{"siteKey":"${siteKey}","name":"pageview","url":"https://example.com/","props":{"pad":"${"x".repeat(60_000)}`);
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(chunk);
        controller.enqueue(chunk);
        controller.close();
      },
    });
    const reply = await fetch(`${t.url}/analytics/events`, { method: "POST", body, headers: { "content-type": "text/plain", "x-forwarded-for": newClient() } });
    expect(reply.status).toBe(413);
    expect(((await reply.json()) as { error: { code: string } }).error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  test("100 events are taken; props at their limits are kept, one byte over is dropped", async () => {
    const before = await queued();
    expect((await send({ siteKey, events: Array.from({ length: 100 }, () => event()) })).json).toEqual({ accepted: 100, dropped: [] });
    const thirty = Object.fromEntries(Array.from({ length: 30 }, (_, index) => [`k${index}`, "v"]));
    const reply = await send({
      siteKey,
      events: [
        event({ props: thirty }),
        event({ props: { ["é".repeat(150)]: "é".repeat(1000) } }),
        event({ props: { ["é".repeat(150)]: `${"é".repeat(999)}abc` } }),
        event({ props: { [`${"é".repeat(150)}a`]: "v" } }),
        event({ name: "n".repeat(120) }),
        event({ props: { bidi: "\u202Eevil" } }),
        event({ name: "\u0000" }),
      ],
    });
    expect(reply.json).toEqual({
      accepted: 3,
      dropped: [
        { index: 2, reason: "invalid_props" },
        { index: 3, reason: "invalid_props" },
        { index: 5, reason: "invalid_props" },
        { index: 6, reason: "invalid_name" },
      ],
    });
    expect(await queued()).toBe(before + 2);
  });

  test("one client address over ANALYTICS_RATE_PER_IP a minute is 429 with Retry-After; so is one site over ANALYTICS_RATE_PER_SITE", async () => {
    const other = await createSite(t);
    const ip = newClient();
    for (let index = 0; index < 5; index++) expect((await send({ siteKey: other.siteKey, ...event() }, { "x-forwarded-for": ip })).status).toBe(202);
    const limited = await send({ siteKey: other.siteKey, ...event() }, { "x-forwarded-for": ip });
    expect(limited.status).toBe(429);
    expect(limited.json.error.code).toBe("RATE_LIMITED");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // Other clients: the site's own limit (8 a minute) is reached after 2 more.
    for (let index = 0; index < 2; index++) expect((await send({ siteKey: other.siteKey, ...event() })).status).toBe(202);
    expect((await send({ siteKey: other.siteKey, ...event() })).status).toBe(429);
  });
});
