import { fileTypeFromBuffer } from "file-type";

/** Enough for every signature file-type knows. */
export const SNIFF_BYTES = 4100;

export type Sniffed = { contentType: string; extension?: string };

const rasterImages = new Set(["image/jpeg", "image/png", "image/gif", "image/webp", "image/avif"]);
/** Types a browser could run script from (or that are XML and could): only ever served as attachments. */
const activeTypes = new Set([
  "text/html",
  "image/svg+xml",
  "application/xml",
  "text/xml",
  "application/xhtml+xml",
  "application/javascript",
  "text/javascript",
]);
/** Declared text types kept when the bytes are plain text. */
const textSubtypes = new Set(["text/csv", "text/markdown", "application/json"]);
const aliases: Record<string, string> = {
  "image/jpg": "image/jpeg",
  "image/pjpeg": "image/jpeg",
  "image/x-png": "image/png",
  "application/x-zip-compressed": "application/zip",
  "audio/mp3": "audio/mpeg",
  "audio/x-wav": "audio/wav",
  "audio/wave": "audio/wav",
  "audio/vnd.wave": "audio/wav",
  "audio/m4a": "audio/x-m4a",
};

/** Markup that makes text a web page, wherever it appears: text holding it is classified text/html. */
export const htmlMarkup = /<(script|html|iframe|svg|object|embed)[\s>/]/i;

/**
 * A streaming search for `pattern` (whose matches are at most `longest` characters and begin with
 * one of the bytes of `starts`) over bytes read as Latin-1: each chunk is searched with the end of
 * the previous one before it, so a match split across chunks is found while only `longest - 1`
 * characters are kept. A chunk holding none of `starts` (most of a plain text) is not decoded.
 */
export function markupScanner(pattern: RegExp, longest: number, starts: string) {
  const startBytes = [...new TextEncoder().encode(starts)];
  let carry = "";
  return (chunk: Uint8Array): boolean => {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // Without a start byte in the chunk, a match can only begin in what was carried: the chunk's head is enough.
    const whole = startBytes.some((byte) => bytes.includes(byte));
    const text = carry + (whole ? bytes : bytes.subarray(0, longest - 1)).toString("latin1");
    carry = (carry + bytes.subarray(Math.max(0, bytes.length - longest + 1)).toString("latin1")).slice(1 - longest);
    return pattern.test(text);
  };
}

export const isRasterImage = (contentType: string) => rasterImages.has(contentType);
export const isActiveType = (contentType: string) => activeTypes.has(contentType);

/** The content type of an upload, from its first bytes. `complete` when `head` is the whole file. */
export async function sniff(head: Uint8Array, complete: boolean): Promise<Sniffed | undefined> {
  const detected = await fileTypeFromBuffer(head).catch(() => undefined);
  if (detected && detected.mime !== "application/xml") return { contentType: detected.mime, extension: detected.ext };
  const text = asText(head, complete);
  if (text === undefined) return undefined;
  const kind = classifyText(text);
  return { contentType: kind, extension: { "text/plain": "txt", "text/html": "html", "image/svg+xml": "svg", "application/xml": "xml" }[kind] };
}

/** UTF-8 text without NULs or control bytes (a cut multi-byte character at the end of a partial head is fine). */
function asText(head: Uint8Array, complete: boolean): string | undefined {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  for (let cut = 0; cut <= (complete ? 0 : 3) && cut < head.length; cut++) {
    try {
      const text = decoder.decode(head.subarray(0, head.length - cut));
      // biome-ignore lint/suspicious/noControlCharactersInRegex: binary detection
      return /[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]/.test(text) ? undefined : text;
    } catch {}
  }
  return undefined;
}

function classifyText(text: string): string {
  const start = text
    .replace(/^\ufeff/, "")
    .trimStart()
    .slice(0, 4096)
    .toLowerCase();
  if (start.startsWith("<?xml") || start.startsWith("<svg") || start.startsWith("<!doctype svg"))
    return /<svg[\s>]/.test(start) ? "image/svg+xml" : "application/xml";
  if (/^<(!doctype html|html|head|body|script|iframe|!--|meta|style|svg)[\s>]/.test(start) || htmlMarkup.test(start)) {
    return /^<svg[\s>]/.test(start) ? "image/svg+xml" : "text/html";
  }
  return "text/plain";
}

/** The declared (client) type, normalised: undefined when it says nothing (absent, octet-stream). */
export function declaredType(header: string | undefined | null): string | undefined {
  const mediaType = header?.split(";")[0]?.trim().toLowerCase();
  if (!mediaType || mediaType === "application/octet-stream" || mediaType === "binary/octet-stream") return undefined;
  return aliases[mediaType] ?? mediaType;
}

/**
 * The type the file is stored with: the sniffed one, or a declared text subtype (text/csv) for
 * plain text. Undefined when the declaration contradicts the bytes (a lying content type).
 */
export function reconcile(sniffed: Sniffed, declared: string | undefined): string | undefined {
  if (!declared || declared === sniffed.contentType) return sniffed.contentType;
  if (sniffed.contentType === "text/plain" && (declared === "text/plain" || textSubtypes.has(declared))) return declared;
  if (sniffed.contentType === "text/plain" && declared.startsWith("text/") && !isActiveType(declared)) return "text/plain";
  return undefined;
}
