import { ApiError } from "@lodge/kit";
import * as Multipasta from "multipasta";

const MAX_PARTS = 20;

export type FilePart = { filename?: string; contentType?: string; stream: ReadableStream<Uint8Array> };

const malformed = (message: string) => new ApiError({ code: "VALIDATION_FAILED", status: 400, message: `Malformed multipart body: ${message}` });
const interrupted = () => new ApiError({ code: "VALIDATION_FAILED", status: 400, message: "The upload was interrupted before its end" });

const failures: Record<Multipasta.MultipartError["_tag"], string> = {
  InvalidBoundary: "no boundary in Content-Type",
  BadHeaders: "a part's headers cannot be read",
  InvalidDisposition: "a part has no name",
  ReachedLimit: "too many parts",
  EndNotReached: "it ends before the file's closing boundary (truncated)",
};

/**
 * Streams the file out of a multipart/form-data body without holding it, parsed by multipasta: the
 * first part with a filename (or named `file`) becomes a stream that ends at the next boundary, and
 * errors if the body ends before one (a truncated upload). Other parts are skipped unread. The body
 * is read only as fast as the file stream is pulled (each body chunk is parsed when the stream needs
 * more), so a slow storage write holds back the client rather than filling memory.
 */
export async function firstFilePart(body: ReadableStream<Uint8Array>, contentType: string): Promise<FilePart> {
  const reader = body.getReader();
  let file: { info: Multipasta.PartInfo; chunks: Uint8Array[]; ended: boolean } | undefined;
  let failure: ApiError | undefined;
  let done = false;
  const parser = Multipasta.make({
    headers: { "content-type": contentType },
    maxParts: MAX_PARTS,
    // Every part is streamed to a sink: the file's is kept, the others' dropped (none is buffered as a field).
    isFile: () => true,
    onFile(info) {
      if (file || (info.filename === undefined && info.name !== "file")) return () => {};
      const part = { info, chunks: [] as Uint8Array[], ended: false };
      file = part;
      return (chunk) => {
        if (chunk === null) part.ended = true;
        else part.chunks.push(chunk);
      };
    },
    onField() {},
    onError(error) {
      failure ??= malformed(failures[error._tag]);
    },
    onDone() {
      done = true;
    },
  });

  /** Feeds the parser one more chunk of the body; false once the body has ended. */
  const feed = async () => {
    let next: Awaited<ReturnType<typeof reader.read>>;
    try {
      next = await reader.read();
    } catch {
      throw interrupted();
    }
    if (next.done) {
      parser.end();
      return false;
    }
    try {
      parser.write(next.value);
    } catch {
      // multipasta decodes filename* as it parses; an undecodable one throws.
      failure ??= malformed(failures.BadHeaders);
    }
    return true;
  };

  try {
    while (!file) {
      if (failure) throw failure;
      if (done) throw new ApiError({ code: "VALIDATION_FAILED", message: "Send the file in a multipart field named file" });
      if (!(await feed()) && !file) throw failure ?? malformed("it ends before the file part");
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  }
  const part = file;
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          if (part.chunks.length > 0) {
            for (const chunk of part.chunks) controller.enqueue(chunk);
            part.chunks = [];
            return;
          }
          // What follows the file's closing boundary is not read.
          if (part.ended) {
            controller.close();
            void reader.cancel().catch(() => {});
            return;
          }
          if (failure) throw failure;
          if (!(await feed()) && !part.ended) throw failure ?? malformed(failures.EndNotReached);
        }
      },
      cancel: () => reader.cancel().catch(() => {}),
    },
    { highWaterMark: 0 },
  );
  // The client's Content-Type as sent (only used to catch a lie).
  const declared = part.info.headers["content-type"];
  return { filename: part.info.filename, contentType: Array.isArray(declared) ? declared[0] : declared, stream };
}
