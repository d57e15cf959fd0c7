import { ApiError, unsafeText } from "@lodge/kit";

const MAX_NAME_LENGTH = 255;
// Control and format characters (NUL, newlines, escapes, bidi overrides, zero-width joiners, BOMs), private-use and unassigned ones.
const problems = { malformed: "is not valid Unicode", characters: "must not contain control or invisible formatting characters" } as const;

/**
 * The display name of an upload. A name is only ever shown and sent back in Content-Disposition,
 * never used as a storage path; still, a name that carries a path, control or invisible
 * characters is refused (422), since no honest client sends one. Unicode is kept, NFC-normalised.
 */
export function checkFileName(raw: string | undefined, fallback: string): string {
  if (raw === undefined || raw.trim() === "") return fallback;
  const name = raw.normalize("NFC").trim();
  const unsafe = unsafeText(name, { refuse: "invisible" });
  const problem = unsafe
    ? problems[unsafe]
    : /[/\\]/.test(name)
      ? "must be a plain file name, not a path"
      : name === "." || name === ".."
        ? "must be a file name"
        : [...name].length > MAX_NAME_LENGTH
          ? `must be at most ${MAX_NAME_LENGTH} characters`
          : undefined;
  if (problem) throw new ApiError({ code: "VALIDATION_FAILED", message: `Invalid file name: it ${problem}`, details: [{ path: "name", message: problem }] });
  return name;
}

/** A default name from the sniffed type, when the client gave none. */
export function defaultName(extension: string | undefined) {
  return extension ? `file.${extension}` : "file";
}

/** `Content-Disposition` with an ASCII fallback and the exact UTF-8 name (RFC 6266 / 5987). */
export function contentDisposition(kind: "inline" | "attachment", name: string) {
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\;]/g, "_");
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
