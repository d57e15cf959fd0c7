import { describe, expect, test } from "bun:test";
import { instantOf, isTimeZone, nextLocalTime, quietHoursEnd, wallTimeOf } from "../src/local-time";

const at = (iso: string) => new Date(iso);
const iso = (date: Date | null) => date?.toISOString() ?? null;

describe("local time", () => {
  test("09:00 in Berlin is 08:00Z in winter and 07:00Z in summer, across both DST changes", () => {
    // Europe/Berlin leaves summer time on 2026-10-25 and enters it on 2027-03-28.
    expect(iso(nextLocalTime(at("2026-10-24T08:00:00Z"), "Europe/Berlin", "09:00"))).toBe("2026-10-25T08:00:00.000Z");
    expect(iso(nextLocalTime(at("2026-10-24T06:00:00Z"), "Europe/Berlin", "09:00"))).toBe("2026-10-24T07:00:00.000Z");
    expect(iso(nextLocalTime(at("2027-03-27T09:00:00Z"), "Europe/Berlin", "09:00"))).toBe("2027-03-28T07:00:00.000Z");
  });

  test("a time the clock skips (02:30 on the spring-forward night) moves forward; exactly now is not next", () => {
    expect(iso(nextLocalTime(at("2027-03-28T00:00:00Z"), "Europe/Berlin", "02:30"))).toBe("2027-03-28T01:30:00.000Z");
    expect(iso(nextLocalTime(at("2026-12-01T08:00:00Z"), "Europe/Berlin", "09:00"))).toBe("2026-12-02T08:00:00.000Z");
  });

  test("on a given weekday: the next Monday 09:00", () => {
    // 2026-12-01 is a Tuesday.
    expect(iso(nextLocalTime(at("2026-12-01T12:00:00Z"), "America/New_York", "09:00", 1))).toBe("2026-12-07T14:00:00.000Z");
  });

  test("quiet hours wrapping midnight end at the local end time; outside them there is no end", () => {
    const night = { start: "22:00", end: "07:00" };
    expect(iso(quietHoursEnd(at("2026-12-01T22:30:00Z"), "Europe/Berlin", night))).toBe("2026-12-02T06:00:00.000Z");
    expect(iso(quietHoursEnd(at("2026-12-02T05:59:00Z"), "Europe/Berlin", night))).toBe("2026-12-02T06:00:00.000Z");
    expect(quietHoursEnd(at("2026-12-02T06:00:00Z"), "Europe/Berlin", night)).toBeNull();
    expect(quietHoursEnd(at("2026-12-01T20:59:00Z"), "Europe/Berlin", night)).toBeNull();
    // The night the clocks go back is an hour longer: 07:00 local is 06:00Z, not 05:00Z.
    expect(iso(quietHoursEnd(at("2026-10-24T21:00:00Z"), "Europe/Berlin", night))).toBe("2026-10-25T06:00:00.000Z");
  });

  test("quiet hours within one day, and equal start and end meaning none", () => {
    expect(iso(quietHoursEnd(at("2026-12-01T12:30:00Z"), "UTC", { start: "12:00", end: "14:00" }))).toBe("2026-12-01T14:00:00.000Z");
    expect(quietHoursEnd(at("2026-12-01T12:30:00Z"), "UTC", { start: "12:00", end: "12:00" })).toBeNull();
  });

  test("time zones: IANA names only", () => {
    expect(isTimeZone("Europe/Berlin")).toBe(true);
    expect(isTimeZone("Mars/Olympus")).toBe(false);
    expect(isTimeZone("")).toBe(false);
  });
});

describe("floating wall times", () => {
  test("an instant's wall time in a zone, and back, across both DST changes", () => {
    const wall = wallTimeOf(at("2026-10-25T08:00:00Z"), "Europe/Berlin");
    expect(wall.toISOString()).toBe("2026-10-25T09:00:00.000Z");
    expect(iso(instantOf(wall, "Europe/Berlin"))).toBe("2026-10-25T08:00:00.000Z");
    expect(iso(instantOf(new Date("2027-03-28T09:00:00Z"), "Europe/Berlin"))).toBe("2027-03-28T07:00:00.000Z");
  });

  test("a skipped wall time moves forward; a repeated one is its first occurrence (RFC 5545)", () => {
    expect(iso(instantOf(new Date("2027-03-28T02:30:00Z"), "Europe/Berlin"))).toBe("2027-03-28T01:30:00.000Z");
    expect(iso(instantOf(new Date("2026-10-25T02:30:00Z"), "Europe/Berlin"))).toBe("2026-10-25T00:30:00.000Z");
  });
});
