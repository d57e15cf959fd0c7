import { ApiError, etagMatches } from "@lodge/kit";
import { contentDisposition } from "./names";
import { isActiveType } from "./sniff";
import type { ByteRange } from "./storage/index";
import type { Variant } from "./variant-params";
import type { FileRow } from "./views";

/** Shown in the browser; everything else is a download. Active types (HTML, SVG, XML) never are. */
const inlineTypes = /^(image\/(jpeg|png|gif|webp|avif)|application\/pdf|text\/(plain|csv|markdown)|application\/json|video\/|audio\/)/;

/** What a route turns into its Response (through Hono's context, which adds the headers set before it). */
export type ContentAnswer = { status: 200 | 206 | 304; headers: Record<string, string>; body: Blob | ReadableStream<Uint8Array> | Uint8Array | null };

export type ContentSource = { size: number; open: (range?: ByteRange) => Blob | ReadableStream<Uint8Array> | Uint8Array };

/**
 * The one rule for what names a content answer, whichever path gives it: the ETag (the file's hash;
 * a variant's adds its key), the file name (a variant takes its format's extension) and
 * Cache-Control: public files an hour; through a signed URL, until it expires (an hour at most);
 * read with a token, revalidated every time. `signedSecondsLeft` is the signed URL's time left.
 */
export function contentLabels(file: FileRow, variant: Variant | undefined, signedSecondsLeft?: number) {
  const cacheControl = file.public
    ? "public, max-age=3600"
    : signedSecondsLeft !== undefined
      ? `private, max-age=${Math.max(0, Math.min(signedSecondsLeft, 3600))}`
      : "private, no-cache";
  if (!variant) return { etag: `"${file.sha256}"`, name: file.name, cacheControl };
  return {
    etag: `"${file.sha256.slice(0, 24)}-${Bun.hash(variant.key).toString(36)}"`,
    name: `${file.name.replace(/\.[^.]{1,10}$/, "")}.${variant.format === "jpeg" ? "jpg" : variant.format}`,
    cacheControl,
  };
}

/**
 * The headers every answer of a content carries, whatever its range: the type, the disposition,
 * the labels (contentLabels), and those that keep the content from running on our origin
 * (nosniff, a sandboxing CSP, attachment for active types). A plain record: the route hands it to
 * Hono, which sets it on the headers it prepared (no second Headers object).
 */
export function contentHeaders(input: { contentType: string; name: string; etag: string; cacheControl: string; download?: boolean }): Record<string, string> {
  const { contentType } = input;
  const attachment = input.download || isActiveType(contentType) || !inlineTypes.test(contentType);
  return {
    "Content-Type": contentType.startsWith("text/") || contentType === "application/json" ? `${contentType}; charset=utf-8` : contentType,
    "Content-Disposition": contentDisposition(attachment ? "attachment" : "inline", input.name),
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "Cross-Origin-Resource-Policy": "cross-origin",
    ETag: input.etag,
    "Cache-Control": input.cacheControl,
    "Accept-Ranges": "bytes",
  };
}

/** The bytes of a file or variant as an HTTP answer with its `headers` (contentHeaders): If-None-Match (304), one Range (206/416). */
export function contentResponse(input: {
  source: ContentSource;
  headers: Record<string, string>;
  range?: string | null;
  ifNoneMatch?: string | null;
  ifRange?: string | null;
  /** Sets a header on the error answer (Content-Range on a 416). */
  setHeader?: (name: string, value: string) => void;
}): ContentAnswer {
  const { source, headers } = input;
  const etag = headers.ETag as string;
  if (etagMatches(input.ifNoneMatch, etag)) return { status: 304, headers, body: null };

  const range = input.range && (!input.ifRange || input.ifRange === etag) ? parseRange(input.range, source.size) : undefined;
  if (range === null) {
    input.setHeader?.("Content-Range", `bytes */${source.size}`);
    throw new ApiError({ code: "VALIDATION_FAILED", status: 416, message: `The range is outside the content (${source.size} bytes)` });
  }
  if (range) {
    const partial = { ...headers, "Content-Range": `bytes ${range.start}-${range.end}/${source.size}`, "Content-Length": String(range.end - range.start + 1) };
    return { status: 206, headers: partial, body: source.open(range) };
  }
  return { status: 200, headers: { ...headers, "Content-Length": String(source.size) }, body: source.size === 0 ? null : source.open() };
}

/**
 * One `bytes=` range: undefined to serve the whole content (absent, several ranges, or not a byte
 * range: a server may ignore those), null when it cannot be satisfied.
 */
export function parseRange(header: string, size: number): ByteRange | undefined | null {
  const match = header.trim().match(/^bytes=(\d*)-(\d*)$/);
  if (!match) return undefined;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return undefined;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return null;
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || end < start) return null;
  return { start, end };
}
