import { describe, expect, test } from "bun:test";
import { splitMessage } from "../src/bot/features/ask/split-message";
import { telegramHtml } from "../src/bot/features/ask/telegram-html";
import { shownText, telegramHtmlProblem } from "./telegram-html";

describe("Markdown as Telegram HTML", () => {
  test("bold, italic, strikethrough, code, code blocks with their language, links, quotes", () => {
    expect(telegramHtml("Some **bold**, _italic_, ~~gone~~ and `a < b`.")).toBe("Some <b>bold</b>, <i>italic</i>, <s>gone</s> and <code>a &lt; b</code>.");
    expect(telegramHtml("```python\nif a < b and c > d:\n    print('&')\n```")).toBe(
      `<pre><code class="language-python">if a &lt; b and c &gt; d:\n    print('&amp;')</code></pre>`,
    );
    expect(telegramHtml("```\nplain\n```")).toBe("<pre>plain</pre>");
    expect(telegramHtml("See [the docs](https://example.com/a?b=1&c=2) or https://lodge.dev")).toBe(
      'See <a href="https://example.com/a?b=1&amp;c=2">the docs</a> or <a href="https://lodge.dev">https://lodge.dev</a>',
    );
    expect(telegramHtml("> quoted\n> **lines**")).toBe("<blockquote>quoted\n<b>lines</b></blockquote>");
  });

  test("headings are bold lines, lists and tables text, paragraphs and line breaks kept", () => {
    expect(telegramHtml("# Title\n\nFirst line\nsecond line\n\nNext paragraph")).toBe("<b>Title</b>\n\nFirst line\nsecond line\n\nNext paragraph");
    expect(telegramHtml("- one\n- **two**\n  - nested\n\n3. three\n4. four\n\n- [x] done\n- [ ] todo")).toBe(
      "• one\n• <b>two</b>\n   ◦ nested\n\n3. three\n4. four\n\n• ☑ done\n• ☐ todo",
    );
    expect(telegramHtml("| a | b |\n|---|---|\n| 1 | 2 |")).toBe("<b>a</b> | <b>b</b>\n1 | 2");
  });

  test("hostile text is escaped: raw HTML, entities, links to anything but http(s), quotes in a URL", () => {
    expect(telegramHtml('<script>alert("x")</script> & <b>not bold</b> &amp;')).toBe(
      '&lt;script&gt;alert("x")&lt;/script&gt; &amp; &lt;b&gt;not bold&lt;/b&gt; &amp;amp;',
    );
    expect(telegramHtml("[click](javascript:alert(1)) [me](tg://user?id=1) [rel](/etc/passwd) ![pic](data:image/png;base64,AAAA)")).toBe("click me rel pic");
    expect(telegramHtml('[x](https://e.com/"><b>oops</b>)')).toBe('<a href="https://e.com/&quot;&gt;&lt;b&gt;oops&lt;/b&gt;">x</a>');
    expect(telegramHtml("```\n</code></pre><b>x</b>\n```")).toBe("<pre>&lt;/code&gt;&lt;/pre&gt;&lt;b&gt;x&lt;/b&gt;</pre>");
    expect(telegramHtml('```js" onclick="x\nhi\n```')).toBe("<pre>hi</pre>");
  });

  test("whatever the input, the HTML is what Telegram accepts and shows the text", () => {
    const fragments = [
      "**",
      "_",
      "`",
      "```js\n",
      "<",
      ">",
      "&",
      "[a](",
      "javascript:x)",
      'https://e.com/?q="1")',
      "\n",
      "\n\n",
      "> ",
      "- ",
      "# ",
      "|",
      "~~",
      "&amp;",
      "<b>",
      "</i>",
      "\\",
      "x ",
    ];
    let checked = 0;
    for (const a of fragments)
      for (const b of fragments)
        for (const c of fragments) {
          const markdown = `${a}word${b}more${c}end`;
          const html = telegramHtml(markdown);
          const problem = telegramHtmlProblem(html);
          if (problem) throw new Error(`${JSON.stringify(markdown)} → ${JSON.stringify(html)}: ${problem}`);
          // A word may only vanish into a link's destination.
          if (!markdown.includes("](")) for (const word of ["word", "more", "end"]) expect(shownText(html)).toContain(word);
          checked += 1;
        }
    expect(checked).toBe(fragments.length ** 3);
  });
});

describe("splitting a long message", () => {
  const paragraph = (n: number) => `Paragraph ${n}: ${"lorem ipsum dolor sit amet ".repeat(12).trim()}.`;

  test("a message within the limit is one part; a longer one is cut at paragraph breaks, each part within the limit", () => {
    expect(splitMessage("short", { html: false })).toEqual(["short"]);
    const text = Array.from({ length: 40 }, (_, n) => paragraph(n)).join("\n\n");
    const parts = splitMessage(text, { html: false });
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(4096);
      expect(part).toMatch(/^Paragraph \d+:.*\.$/s);
    }
    expect(parts.join("\n\n")).toBe(text);
  });

  test("without paragraphs it cuts at line breaks, then at spaces; a word longer than the limit is cut, never a surrogate pair", () => {
    const lines = Array.from({ length: 30 }, (_, n) => `line ${n} ${"x".repeat(30)}`).join("\n");
    const byLine = splitMessage(lines, { html: false, limit: 200 });
    for (const part of byLine) expect(part).toMatch(/^line \d+ x+(\nline \d+ x+)*$/);
    expect(byLine.join("\n")).toBe(lines);

    const words = "word ".repeat(100).trim();
    const byWord = splitMessage(words, { html: false, limit: 64 });
    for (const part of byWord) expect(part).toMatch(/^word( word)*$/);
    expect(byWord.join(" ")).toBe(words);

    const emoji = "😀".repeat(100);
    const hard = splitMessage(emoji, { html: false, limit: 51 });
    expect(hard.every((part) => part.length <= 51 && part.length % 2 === 0)).toBe(true);
    expect(hard.join("")).toBe(emoji);
  });

  test("HTML is never cut inside a tag or an entity; tags open at a cut are closed and opened again", () => {
    const markdown = [
      `**${"bold words &amp; <more> ".repeat(30)}**`,
      `\`\`\`ts\n${Array.from({ length: 60 }, (_, n) => `const v${n} = a < b && c > d;`).join("\n")}\n\`\`\``,
      `> ${"quoted [link](https://example.com/?a=1&b=2) text ".repeat(20)}`,
    ].join("\n\n");
    const html = telegramHtml(markdown);
    const parts = splitMessage(html, { html: true, limit: 500 });
    expect(parts.length).toBeGreaterThan(4);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(500);
      expect(telegramHtmlProblem(part)).toBeNull();
    }
    expect(parts.some((part) => part.startsWith('<pre><code class="language-ts">const v'))).toBe(true);
    expect(parts.some((part) => part.startsWith("<blockquote>"))).toBe(true);
    // Nothing is lost but the whitespace at the cuts.
    const squeeze = (text: string) => text.replace(/\s+/g, "");
    expect(squeeze(parts.map(shownText).join(""))).toBe(squeeze(shownText(html)));
  });
});
