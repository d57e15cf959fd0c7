import { describe, expect, test } from "bun:test";
import { safeText, unsafeText } from "@lodge/kit";

const accepts = (schema: ReturnType<typeof safeText>, value: string) => schema.safeParse(value).success;

describe("unsafeText", () => {
  test("each level refuses its characters and lets the lesser ones through", () => {
    const sample = {
      nul: "a\u0000b",
      tab: "a\tb",
      bidi: "\u202Eevil",
      zeroWidth: "a\u200Bb",
      privateUse: "a\uE000b",
      lineSeparator: "a\u2028b",
      plain: "Zoë 😀",
    };
    const refusedBy = (refuse: "controls" | "format" | "invisible") =>
      Object.entries(sample)
        .filter(([, value]) => unsafeText(value, { refuse }) === "characters")
        .map(([name]) => name);
    expect(refusedBy("controls")).toEqual(["nul", "tab", "bidi"]);
    expect(refusedBy("format")).toEqual(["nul", "tab", "bidi", "zeroWidth"]);
    expect(refusedBy("invisible")).toEqual(["nul", "tab", "bidi", "zeroWidth", "privateUse", "lineSeparator"]);
  });

  test("lone surrogates are malformed unless a field keeps accepting them; line feeds only where multiline", () => {
    expect(unsafeText("\ud800", { refuse: "controls" })).toBe("malformed");
    expect(unsafeText("\udc00a", { refuse: "invisible" })).toBe("malformed");
    expect(unsafeText("\ud800", { refuse: "format", wellFormed: false })).toBeUndefined();
    expect(unsafeText("one\ntwo", { refuse: "controls" })).toBe("characters");
    expect(unsafeText("one\ntwo", { refuse: "controls", multiline: true })).toBeUndefined();
    expect(unsafeText("one\r\ntwo", { refuse: "controls", multiline: true })).toBe("characters");
  });
});

describe("safeText", () => {
  test("trimmed first: whitespace controls at the ends are dropped, the trimmed text is measured", () => {
    const name = safeText({ min: 1, max: 5, refuse: "format", trim: "first" });
    expect(name.parse("\tAda \n")).toBe("Ada");
    expect(accepts(name, "a\tb")).toBe(false);
    expect(accepts(name, `  ${"x".repeat(5)}  `)).toBe(true);
    expect(accepts(name, "x".repeat(6))).toBe(false);
    expect(accepts(name, "   ")).toBe(false);
    expect(accepts(name, "\ud800")).toBe(false);
    expect(accepts(safeText({ min: 1, max: 5, refuse: "format", trim: "first", wellFormed: false }), "\ud800")).toBe(true);
  });

  test("trimmed last: the text as sent is checked, bounded at four times max, then trimmed and measured", () => {
    const text = safeText({ min: 1, max: 5, refuse: "controls", trim: "last" });
    expect(accepts(text, "\tAda")).toBe(false);
    expect(text.parse("  Ada  ")).toBe("Ada");
    expect(accepts(text, `${" ".repeat(14)}x${" ".repeat(5)}`)).toBe(true);
    expect(accepts(text, `${" ".repeat(15)}x${" ".repeat(5)}`)).toBe(false);
    expect(accepts(text, "\ud800")).toBe(false);
    const bio = safeText({ max: 20, refuse: "controls", trim: "last", multiline: true });
    expect(bio.parse("one\ntwo\n")).toBe("one\ntwo");
  });

  test("the problem is named once, the same in every service", () => {
    const messages = (schema: ReturnType<typeof safeText>, value: string) => schema.safeParse(value).error?.issues.map((issue) => issue.message);
    expect(messages(safeText({ max: 50, refuse: "format", trim: "first" }), "a\u0000\ud800")).toEqual([
      "must not contain control characters",
      "must be valid Unicode",
    ]);
    expect(messages(safeText({ max: 50, refuse: "controls", trim: "last" }), "a\u0000\ud800")).toEqual([
      "must be valid Unicode",
      "must not contain control characters",
    ]);
  });
});
