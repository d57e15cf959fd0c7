import { ApiError } from "@lodge/kit";

const MAX_HEADER_BYTES = 16 * 1024;
const MAX_PARTS = 20;

export type FilePart = { filename?: string; contentType?: string; stream: ReadableStream<Uint8Array> };

const malformed = (message: string) => new ApiError({ code: "VALIDATION_FAILED", status: 400, message: `Malformed multipart body: ${message}` });

/**
 * Streams the file out of a multipart/form-data body without holding it: the first part with a
 * filename (or named `file`) becomes a stream that ends at the next boundary, and errors if the
 * body ends before one (a truncated upload). Other fields are skipped.
 */
export async function firstFilePart(body: ReadableStream<Uint8Array>, contentType: string): Promise<FilePart> {
  const match = contentType.match(/boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) throw malformed("no boundary in Content-Type");
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const reader = body.getReader();
  // A leading CRLF makes the first boundary look like every other one.
  let buffer: Buffer = Buffer.from("\r\n");
  let ended = false;

  const more = async () => {
    if (ended) return false;
    let next: Awaited<ReturnType<typeof reader.read>>;
    try {
      next = await reader.read();
    } catch {
      throw new ApiError({ code: "VALIDATION_FAILED", status: 400, message: "The upload was interrupted before its end" });
    }
    if (next.done) {
      ended = true;
      return false;
    }
    buffer = buffer.length === 0 ? Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength) : Buffer.concat([buffer, next.value]);
    return true;
  };
  const need = async (predicate: () => boolean, limit: number, what: string) => {
    while (!predicate()) {
      if (buffer.length > limit) throw malformed(what);
      if (!(await more())) throw malformed(`it ends before ${what}`);
    }
  };

  // Skip the preamble up to the first boundary.
  await need(() => buffer.indexOf(delimiter) >= 0, MAX_HEADER_BYTES, "the first boundary");
  buffer = buffer.subarray(buffer.indexOf(delimiter) + delimiter.length);

  for (let part = 0; part < MAX_PARTS; part++) {
    await need(() => buffer.length >= 2, MAX_HEADER_BYTES, "a part");
    if (buffer.subarray(0, 2).toString() === "--") throw new ApiError({ code: "VALIDATION_FAILED", message: "Send the file in a multipart field named file" });
    await need(() => buffer.indexOf("\r\n\r\n") >= 0, MAX_HEADER_BYTES, "the end of a part's headers");
    const headerEnd = buffer.indexOf("\r\n\r\n");
    const headers = parseHeaders(buffer.subarray(0, headerEnd).toString("utf8"));
    buffer = buffer.subarray(headerEnd + 4);
    const disposition = headers.get("content-disposition") ?? "";
    const name = parameter(disposition, "name");
    const filename = extendedParameter(disposition, "filename") ?? parameter(disposition, "filename");
    if (filename !== undefined || name === "file") {
      return { filename, contentType: headers.get("content-type"), stream: partStream() };
    }
    // Not the file: skip to the next boundary.
    for (;;) {
      const index = buffer.indexOf(delimiter);
      if (index >= 0) {
        buffer = buffer.subarray(index + delimiter.length);
        break;
      }
      buffer = buffer.subarray(Math.max(0, buffer.length - delimiter.length));
      if (!(await more())) throw malformed("it ends inside a part");
    }
  }
  throw malformed("too many parts");

  function partStream() {
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          for (;;) {
            const index = buffer.indexOf(delimiter);
            if (index >= 0) {
              if (index > 0) controller.enqueue(buffer.subarray(0, index));
              buffer = buffer.subarray(index);
              controller.close();
              void reader.cancel().catch(() => {});
              return;
            }
            // Keep what could be the start of a delimiter split across reads.
            const safe = buffer.length - (delimiter.length - 1);
            if (safe > 0) {
              controller.enqueue(buffer.subarray(0, safe));
              buffer = buffer.subarray(safe);
              return;
            }
            if (!(await more())) throw malformed("it ends before the file's closing boundary (truncated)");
          }
        },
        cancel: () => reader.cancel().catch(() => {}),
      },
      { highWaterMark: 0 },
    );
  }
}

function parseHeaders(text: string) {
  const headers = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

function parameter(header: string, name: string): string | undefined {
  const match = header.match(new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, "i"));
  if (!match) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : match[2];
}

/** RFC 5987 `filename*=UTF-8''...`. */
function extendedParameter(header: string, name: string): string | undefined {
  const match = header.match(new RegExp(`(?:^|;)\\s*${name}\\*\\s*=\\s*UTF-8''([^;\\s]*)`, "i"));
  if (!match?.[1]) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    throw malformed("undecodable filename*");
  }
}
