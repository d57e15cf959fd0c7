import { describe, expect, test } from "bun:test";
import { retryAfterMs } from "../src/retry-after";

describe("retryAfterMs", () => {
  const now = new Date("2026-03-10T10:00:00.000Z");

  test("seconds, or an HTTP date counted from the given now (never below 0)", () => {
    expect(retryAfterMs("3", now)).toBe(3000);
    expect(retryAfterMs("0.5", now)).toBe(500);
    expect(retryAfterMs("Tue, 10 Mar 2026 10:00:30 GMT", now)).toBe(30_000);
    expect(retryAfterMs("Tue, 10 Mar 2026 09:00:00 GMT", now)).toBe(0);
    expect(retryAfterMs("-4", now)).toBe(0);
  });

  test("missing or unreadable: undefined", () => {
    for (const header of [null, undefined, "", "soon", "3 seconds"]) expect(retryAfterMs(header, now)).toBeUndefined();
  });
});
