import { describe, expect, test } from "bun:test";
import { categories, channels, locales, notificationTypes, render } from "../src/catalog/index";
import { htmlTemplate, textTemplate } from "../src/catalog/template";

const hostile = `<script>alert("x")</script> & <img src=x onerror=alert(1)>`;

/** The samples' values that are not free text: times, ids and enum members (kept as they are). */
const notFreeText = /^\d{4}-|^[0-9a-f]{8}-[0-9a-f]{4}-|^(change|reset|chat|image|succeeded|failed|cancelled)$/;

/** The sample with hostile markup in every free-text string and after every link (times, ids and enums kept). */
function hostileSample(sample: Record<string, unknown>): Record<string, unknown> {
  const made = (value: unknown) => {
    if (typeof value !== "string" || notFreeText.test(value)) return value;
    return value.startsWith("https:") ? `${value}&next="><script>alert(1)</script>` : `${hostile} ${value}`;
  };
  return Object.fromEntries(Object.entries(sample).map(([key, value]) => [key, made(value)]));
}

function expectComplete(output: string) {
  expect(output).not.toMatch(/undefined|null|NaN|\[object /);
  expect(output.trim().length).toBeGreaterThan(0);
}

describe("the notification type catalog", () => {
  for (const [key, type] of Object.entries(notificationTypes)) {
    for (const locale of locales) {
      test(`${key} renders in ${locale} with every variable, escaped for HTML`, () => {
        expect(categories).toContain(type.category);
        for (const channel of type.channels) expect(channels).toContain(channel);
        expect(type.data.safeParse(type.sample).success).toBe(true);
        const sample0 = type.sample as Record<string, unknown>;
        for (const sample of [sample0, hostileSample(sample0)]) {
          const rendered = render(type, sample, locale, { timeZone: "Europe/Berlin" });
          for (const part of [rendered.email.subject, rendered.email.text, rendered.email.html, rendered.inApp.title, rendered.inApp.body])
            expectComplete(part);
          // The only tags are the layout's: none from the data.
          expect(rendered.email.html).not.toContain("<script");
          expect(rendered.email.html).not.toContain("<img");
          if (sample !== sample0) expect(rendered.email.html).toContain("&lt;script&gt;");
          expect(rendered.email.html).not.toMatch(/href="[^"]*"[^ >]/);
          // Every link of the data is in the text part and (attribute-escaped) in the HTML.
          for (const value of Object.values(sample)) {
            if (typeof value === "string" && value.startsWith("https:")) {
              expect(rendered.email.text).toContain(value);
              expect(rendered.email.html).toContain(Bun.escapeHTML(value));
            }
          }
        }
      });
    }
  }

  test("data that does not match a type's schema is refused before any template runs", () => {
    const type = notificationTypes["auth.password_reset"];
    if (!type) throw new Error("missing type");
    expect(() => render(type, { link: "javascript:alert(1)", expiresAt: "2026-01-01T00:00:00Z" }, "en", { timeZone: "UTC" })).toThrow();
    expect(() => render(type, {}, "de", { timeZone: "UTC" })).toThrow();
  });

  test("a template given a missing variable throws instead of printing it", () => {
    const missing: string | undefined = undefined;
    expect(() => htmlTemplate`<p>${missing}</p>`).toThrow("template value #1 is undefined");
    expect(() => textTemplate`Hello ${null}`).toThrow("template value #1 is null");
    expect(htmlTemplate`<p>${'a < b & "c"'}</p>`).toBe("<p>a &lt; b &amp; &quot;c&quot;</p>");
  });
});

describe("push and Telegram templates", () => {
  for (const [key, type] of Object.entries(notificationTypes)) {
    for (const locale of locales) {
      test(`${key} in ${locale}: push title/body complete, Telegram text escaped for its HTML parse mode`, () => {
        const sample0 = type.sample as Record<string, unknown>;
        for (const sample of [sample0, hostileSample(sample0)]) {
          const rendered = render(type, sample, locale, { timeZone: "Europe/Berlin" });
          for (const part of [rendered.push.title, rendered.push.body, rendered.telegram]) expectComplete(part);
          // Only the tags Telegram's HTML mode knows, none from the data.
          for (const tag of rendered.telegram.match(/<\/?([a-z]+)/g) ?? []) expect(["<b", "</b", "<a", "</a"]).toContain(tag);
          if (sample !== sample0 && /title|body/.test(Object.keys(sample).join())) expect(rendered.telegram).toContain("&lt;script&gt;");
          if (rendered.push.link) expect(rendered.telegram).toContain(`href="${Bun.escapeHTML(rendered.push.link)}"`);
        }
      });
    }
  }
});
