import { describe, expect, test } from "bun:test";
import { canonicalHash, canonicalJson } from "@lodge/kit";

describe("canonicalJson", () => {
  test("sorts every object's keys, at any depth, and keeps arrays in order", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  test("is JSON.stringify's text for the same values: undefined fields left out, undefined in arrays null, dates by toJSON", () => {
    const value = { when: new Date("2026-12-02T10:00:00Z"), gone: undefined, list: [undefined, "x\n\u2028"], n: 1.5, ok: true };
    expect(canonicalJson(value)).toBe(JSON.stringify({ gone: undefined, list: [undefined, "x\n\u2028"], n: 1.5, ok: true, when: value.when }));
    expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
  });

  test("canonicalHash: the SHA-256 of that text, the same whatever the key order, another for another value", () => {
    expect(canonicalHash({ b: [1, { d: 2, c: 3 }], a: "x" })).toBe(canonicalHash({ a: "x", b: [1, { c: 3, d: 2 }] }));
    expect(canonicalHash({ a: "x" })).toBe(new Bun.CryptoHasher("sha256").update('{"a":"x"}').digest("hex"));
    expect(canonicalHash({ a: "y" })).not.toBe(canonicalHash({ a: "x" }));
  });
});
