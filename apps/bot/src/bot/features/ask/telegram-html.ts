import { Lexer, type Token, type Tokens } from "marked";

/**
 * Markdown from the model as Telegram's HTML (parse_mode "HTML"): marked's lexer (GFM, a line
 * break kept as one) reads it, and this walk writes only what Telegram knows: bold, italic,
 * strikethrough, inline code, code blocks with their language, block quotes and links to http(s)
 * URLs. Headings become bold lines, lists and tables text; every other thing (raw HTML, other
 * links, images' sources) is written as escaped text, so no input can make a tag or an entity.
 * Telegram lets no entity sit inside code or a link's code, nor a quote in a quote: those come out flat.
 */
export function telegramHtml(markdown: string): string {
  const tokens = new Lexer({ gfm: true, breaks: true }).lex(markdown);
  return blocks(tokens, {}).trim();
}

/** Where a token sits: inside a link (no code, no nested link there), inside a quote (no quote, no code block). */
type Within = { link?: boolean; quote?: boolean };

/** `&`, `<` and `>` as entities: Telegram's HTML takes every other character as it is. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const escapeAttribute = (text: string) => escapeHtml(text).replace(/"/g, "&quot;");

/** A code block's language, when it is a plain name (`python`, `c++`, `objective-c`). */
const languagePattern = /^[\w+#.-]{1,32}$/;

function blocks(tokens: Token[], within: Within): string {
  return tokens
    .map((token) => block(token, within))
    .filter((text) => text !== "")
    .join("\n\n");
}

function block(token: Token, within: Within): string {
  const t = token as Tokens.Generic;
  switch (token.type) {
    case "space":
    case "def":
      return "";
    case "paragraph":
    case "text":
      return t.tokens ? inline(t.tokens, within) : escapeHtml(t.text);
    case "heading":
      return `<b>${inline(t.tokens ?? [], within)}</b>`;
    case "code": {
      const code = escapeHtml(String(t.text));
      if (within.quote) return code;
      const language = String(t.lang ?? "").split(/\s/)[0] ?? "";
      return languagePattern.test(language) ? `<pre><code class="language-${language}">${code}</code></pre>` : `<pre>${code}</pre>`;
    }
    case "blockquote": {
      const inner = blocks(t.tokens ?? [], { ...within, quote: true });
      return within.quote ? inner : `<blockquote>${inner}</blockquote>`;
    }
    case "list":
      return list(token as Tokens.List, within, 0);
    case "table":
      return table(token as Tokens.Table, within);
    case "hr":
      return "──────";
    default:
      // Raw HTML and anything Telegram has no form for: its source, as text.
      return escapeHtml(String(t.text ?? t.raw)).trim();
  }
}

/** A list as text lines: `• ` or `1. ` (`◦ ` nested, indented), `☑`/`☐` for tasks. */
function list(token: Tokens.List, within: Within, depth: number): string {
  const start = typeof token.start === "number" ? token.start : 1;
  const indent = "   ".repeat(depth);
  return token.items
    .map((item, index) => {
      const marker = token.ordered ? `${start + index}. ` : depth === 0 ? "• " : "◦ ";
      let body = "";
      for (const child of item.tokens) {
        if (child.type === "checkbox") body += (child as Tokens.Checkbox).checked ? "☑ " : "☐ ";
        else if (child.type === "list") body += `\n${list(child as Tokens.List, within, depth + 1)}`;
        else {
          const text = block(child, within);
          // A loose item's paragraphs, one per line.
          if (text) body += body && !body.endsWith(" ") ? `\n${indent}   ${text}` : text;
        }
      }
      return `${indent}${marker}${body}`;
    })
    .join("\n");
}

/** A table as lines of cells between ` | `, the header bold. */
function table(token: Tokens.Table, within: Within): string {
  const row = (cells: Tokens.TableCell[], header: boolean) =>
    cells.map((cell) => (header ? `<b>${inline(cell.tokens, within)}</b>` : inline(cell.tokens, within))).join(" | ");
  return [row(token.header, true), ...token.rows.map((cells) => row(cells, false))].join("\n");
}

function inline(tokens: Token[], within: Within): string {
  return tokens.map((token) => span(token, within)).join("");
}

function span(token: Token, within: Within): string {
  const t = token as Tokens.Generic;
  switch (token.type) {
    case "text":
      return t.tokens ? inline(t.tokens, within) : escapeHtml(t.text);
    case "escape":
      return escapeHtml(t.text);
    case "strong":
      return `<b>${inline(t.tokens ?? [], within)}</b>`;
    case "em":
      return `<i>${inline(t.tokens ?? [], within)}</i>`;
    case "del":
      return `<s>${inline(t.tokens ?? [], within)}</s>`;
    case "codespan":
      return within.link ? escapeHtml(t.text) : `<code>${escapeHtml(t.text)}</code>`;
    case "br":
      return "\n";
    case "link":
      return link(t.href, inline(t.tokens ?? [], { ...within, link: true }), within);
    case "image":
      return link(t.href, escapeHtml(t.text || t.href), within);
    case "checkbox":
      return (token as Tokens.Checkbox).checked ? "☑ " : "☐ ";
    default:
      return escapeHtml(String(t.text ?? t.raw));
  }
}

/** A link to an http(s) URL; any other (javascript:, tg:, a relative path) is its text alone. */
function link(href: string, text: string, within: Within): string {
  if (within.link || !isWebUrl(href)) return text || escapeHtml(href);
  return `<a href="${escapeAttribute(href)}">${text || escapeHtml(href)}</a>`;
}

function isWebUrl(href: string): boolean {
  if (!URL.canParse(href)) return false;
  const { protocol } = new URL(href);
  return protocol === "http:" || protocol === "https:";
}
