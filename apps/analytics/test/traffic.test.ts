import { describe, expect, test } from "bun:test";
import { trafficOf } from "../src/helpers/traffic";
import { random } from "./fixtures";

/** Pieces of queries that decode differently or not at all: encoded names, `+`, malformed and partial escapes, UTF-8, controls. */
const pieces = ["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "%75tm_term", "utm%5Fcontent", "UTM_SOURCE", "x"];
const values = ["", "a", "+b+", "%20", "%", "%2", "%zz", "%C3%A9", "%E2%82", "é", "%00c", "%0A", "a%2Bb", "=", "a+%2B+b", "  "];

/** What URLSearchParams makes of the query: the first of each utm_* field, without control characters, trimmed, at most 300 characters, empty as none. */
function expected(query: string) {
  const utm = { utm_source: null, utm_medium: null, utm_campaign: null, utm_content: null, utm_term: null } as Record<
    "utm_source" | "utm_medium" | "utm_campaign" | "utm_content" | "utm_term",
    string | null
  >;
  const seen = new Set<string>();
  for (const [key, value] of new URLSearchParams(query)) {
    if (!(key in utm) || seen.has(key)) continue;
    seen.add(key);
    utm[key as keyof typeof utm] =
      value
        .replace(/\p{Cc}/gu, "")
        .trim()
        .slice(0, 300) || null;
  }
  return utm;
}

describe("the page's utm_* fields", () => {
  test("read from the query by hand, the same as URLSearchParams reads them, over random queries", () => {
    const generator = random(11);
    for (let run = 0; run < 2000; run++) {
      const pairs = Array.from({ length: 1 + generator.int(5) }, () => {
        const name = generator.pick(pieces);
        const value = Array.from({ length: generator.int(3) }, () => generator.pick(values)).join("");
        return generator.int(6) === 0 ? name : `${name}=${value}`;
      });
      const query = `?${pairs.join(generator.int(8) === 0 ? "&&" : "&")}`;
      const page = new URL(`https://example.com/${query}`);
      const { source, utm_medium, utm_campaign, utm_content, utm_term } = trafficOf(page, null, "example.com");
      const { utm_source, ...rest } = expected(page.search);
      expect({ query, source, utm_medium, utm_campaign, utm_content, utm_term }).toEqual({ query, source: utm_source, ...rest });
    }
  });
});
