/**
 * Telegram's rules for a message in parse_mode HTML, as its Bot API documents them, for the tags
 * the bot writes: b, i, s, code, pre (with `<code class="language-…">` inside), blockquote and
 * `<a href>` to http(s); every `<`, `>` and `&` outside a tag is an entity (&lt; &gt; &amp; &quot;
 * or numeric). Returns what is wrong, or null.
 */
export function telegramHtmlProblem(html: string): string | null {
  const open: string[] = [];
  const piece = /<(\/?)([a-z]+)((?:\s[^<>]*)?)>|&(?:lt|gt|amp|quot|#\d+|#x[0-9a-f]+);|([<>&])|[^<>&]+/gi;
  let consumed = 0;
  for (const match of html.matchAll(piece)) {
    consumed += match[0].length;
    const [, closing, name, attributes = "", bare] = match;
    if (bare) return `a bare ${bare}`;
    if (!name) continue;
    if (closing) {
      if (open.pop() !== name) return `</${name}> closes nothing open`;
      continue;
    }
    if (!["b", "i", "s", "code", "pre", "a", "blockquote"].includes(name)) return `unsupported tag <${name}>`;
    if (name === "a" && !/^ href="https?:\/\/[^"<>]*"$/.test(attributes)) return `a link that is not http(s): ${match[0]}`;
    if (name === "code" && attributes && (!/^ class="language-[\w+#.-]+"$/.test(attributes) || open.at(-1) !== "pre")) return `bad <code${attributes}>`;
    if (name !== "a" && name !== "code" && attributes) return `attributes on <${name}>`;
    if ((name === "pre" || name === "code") && open.some((tag) => tag === "code" || tag === "pre") && !(name === "code" && open.at(-1) === "pre"))
      return "code inside code";
    open.push(name);
  }
  if (consumed !== html.length) return "unparsed text";
  return open.length > 0 ? `unclosed <${open.join("> <")}>` : null;
}

/** What Telegram shows of HTML: the tags gone, the entities read. */
export function shownText(html: string): string {
  return html
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}
