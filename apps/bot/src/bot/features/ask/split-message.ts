/** Telegram's limit on a message's text (UTF-16 code units, as JavaScript counts a string's length). */
export const TELEGRAM_MESSAGE_LIMIT = 4096;

type Piece = { text: string; open?: string; close?: string };
type Cut = { end: number; resume: number; open: Piece[]; length: number };

/** A tag, an entity or one character (a surrogate pair is one): where HTML may be cut. */
const htmlPieces = /<\/?([a-z][a-z0-9-]*)[^>]*>|&(?:#\d+|#x[0-9a-f]+|[a-z]+);|[\uD800-\uDBFF][\uDC00-\uDFFF]|[\s\S]/gi;
const textPieces = /[\uD800-\uDBFF][\uDC00-\uDFFF]|[\s\S]/g;

/**
 * A message too long for one Telegram message as several, each at most `limit` long: cut at the
 * last paragraph break, else line break, else space that leaves the part at least half full (any
 * break, else mid-word, when none does), never inside a tag, an entity or a surrogate pair. In HTML
 * (our own, well formed) the tags open at a cut are closed at its end and opened again at the
 * start of the next part, so each part stands alone. The count is of the source, so a part is
 * never over the limit Telegram applies to the text it shows.
 */
export function splitMessage(text: string, options: { html: boolean; limit?: number }): string[] {
  const limit = options.limit ?? TELEGRAM_MESSAGE_LIMIT;
  if (text.length <= limit) return [text];
  const pieces = piecesOf(text, options.html);
  const parts: string[] = [];
  let start = 0;
  let carried: Piece[] = [];
  while (start < pieces.length) {
    const prefix = carried.map((piece) => piece.text).join("");
    const cut = cutFrom(pieces, start, carried, prefix.length, limit);
    const body = pieces
      .slice(start, cut.end)
      .map((piece) => piece.text)
      .join("");
    const part = `${prefix}${body}${closersOf(cut.open)}`;
    const shown = options.html ? withoutEmptyTags(part) : part;
    // Telegram refuses a message with nothing to show.
    if ((options.html ? visibleText(shown) : shown).trim() !== "") parts.push(shown);
    carried = cut.open;
    start = cut.resume;
    // What follows a cut starts on its first visible line.
    while (start < pieces.length && (pieces[start]?.text === "\n" || pieces[start]?.text === " ")) start += 1;
  }
  return parts;
}

function piecesOf(text: string, html: boolean): Piece[] {
  if (!html) return Array.from(text.matchAll(textPieces), (match) => ({ text: match[0] }));
  return Array.from(text.matchAll(htmlPieces), (match) => {
    const [piece, name] = match;
    if (!name) return { text: piece };
    return piece.startsWith("</") ? { text: piece, close: name.toLowerCase() } : { text: piece, open: name.toLowerCase() };
  });
}

/** How far one part goes from `start`: the best break that fits with its closing tags, else as far as fits. */
function cutFrom(pieces: Piece[], start: number, carried: Piece[], prefixLength: number, limit: number): Cut {
  let open = carried;
  let length = prefixLength;
  let index = start;
  const breaks: Record<"paragraph" | "line" | "word", Cut | undefined> = { paragraph: undefined, line: undefined, word: undefined };
  while (index < pieces.length) {
    const piece = pieces[index] as Piece;
    const next = openAfter(open, piece);
    if (length + piece.text.length + closersOf(next).length > limit) break;
    length += piece.text.length;
    open = next;
    index += 1;
    if (piece.text === "\n" && pieces[index - 2]?.text === "\n") breaks.paragraph = { end: index - 2, resume: index, open, length };
    else if (piece.text === "\n") breaks.line = { end: index - 1, resume: index, open, length };
    else if (piece.text === " ") breaks.word = { end: index - 1, resume: index, open, length };
  }
  if (index >= pieces.length) return { end: index, resume: index, open, length };
  // Always progress, even if a single piece cannot fit (a limit smaller than any tag).
  if (index === start) return { end: start + 1, resume: start + 1, open: openAfter(open, pieces[start] as Piece), length };
  const halfFull = (cut: Cut | undefined) => cut !== undefined && cut.end > start && cut.length >= limit / 2;
  const best =
    [breaks.paragraph, breaks.line, breaks.word].find(halfFull) ??
    [breaks.paragraph, breaks.line, breaks.word].filter((cut) => cut !== undefined && cut.end > start).sort((a, b) => (b?.end ?? 0) - (a?.end ?? 0))[0];
  return best ?? { end: index, resume: index, open, length };
}

function openAfter(open: Piece[], piece: Piece): Piece[] {
  if (piece.open) return [...open, piece];
  if (piece.close) {
    const at = open.map((tag) => tag.open).lastIndexOf(piece.close);
    return at === -1 ? open : open.slice(0, at);
  }
  return open;
}

function closersOf(open: Piece[]): string {
  return open
    .map((tag) => `</${tag.open}>`)
    .reverse()
    .join("");
}

/** A tag opened and closed at once (a part cut right after it opened) says nothing; Telegram may refuse it. */
function withoutEmptyTags(html: string): string {
  let previous: string;
  let current = html;
  do {
    previous = current;
    current = current.replace(/<([a-z][a-z0-9-]*)(?:\s[^>]*)?><\/\1>/gi, "");
  } while (current !== previous);
  return current;
}

function visibleText(html: string): string {
  return html.replace(/<[^>]*>/g, "");
}
