import { ApiError } from "@lodge/kit";
import sharp, { type Metadata } from "sharp";
import { archiveEndScanner } from "./archive-end";
import { type StructureCheck, structureCheck } from "./image-structure";
import { markupScanner } from "./sniff";

/** What sharp calls the formats we accept as images. */
const sharpFormats: Record<string, string[]> = {
  "image/jpeg": ["jpeg"],
  "image/png": ["png"],
  "image/gif": ["gif"],
  "image/webp": ["webp"],
  "image/avif": ["heif"],
};

/** Markup that has no business inside an image: a sign of a polyglot meant to be run as HTML or script. */
const markup = /<(script|html|iframe|object|embed|body|svg|\?php)[\s>/]|javascript:/i;

/**
 * The checks an image's bytes get as they stream in, start to end: its structure up to its end and
 * nothing after it (image-structure.ts), no markup anywhere in it (found across chunk boundaries
 * in bounded memory), and no zip archive hidden inside its last 64 KiB (archive-end.ts).
 */
export function imageStreamCheck(contentType: string): StructureCheck {
  const structure = structureCheck(contentType);
  const hasMarkup = markupScanner(markup, "javascript:".length, "<jJ");
  const archive = archiveEndScanner();
  return {
    push(chunk) {
      if (hasMarkup(chunk)) throw rejected("The image contains markup or script (a polyglot file)");
      structure?.push(chunk);
      archive.push(chunk);
    },
    finish() {
      structure?.finish();
      if (archive.isArchive()) throw rejected("The image is also a zip archive (a polyglot file)");
    },
  };
}

export type ImageInfo = { width: number; height: number };

/**
 * After `imageStreamCheck` saw every byte: checks that the image decodes as the sniffed format and
 * is under the pixel limit. `load` gives the whole file when the probe was too short for sharp to read the header.
 */
export async function inspectImage(input: {
  contentType: string;
  probe: Uint8Array;
  complete: boolean;
  maxPixels: number;
  load: () => Promise<Buffer | string>;
}): Promise<ImageInfo> {
  const { contentType, probe } = input;
  let metadata: Metadata | undefined;
  try {
    metadata = await sharp(Buffer.from(probe.buffer, probe.byteOffset, probe.byteLength), { limitInputPixels: false }).metadata();
  } catch {
    if (input.complete) throw rejected("The image cannot be decoded");
  }
  if (!metadata?.width || !metadata.height) {
    try {
      metadata = await sharp(await input.load(), { limitInputPixels: false }).metadata();
    } catch {
      throw rejected("The image cannot be decoded");
    }
  }
  if (!metadata.format || !sharpFormats[contentType]?.includes(metadata.format)) throw rejected("The image is not the format its bytes announce");
  const width = metadata.width ?? 0;
  const height = metadata.pageHeight ?? metadata.height ?? 0;
  if (width <= 0 || height <= 0) throw rejected("The image has no size");
  if (width * height > input.maxPixels) {
    throw new ApiError({
      code: "VALIDATION_FAILED",
      message: `The image is ${width}x${height}, over the limit of ${input.maxPixels} pixels`,
      details: [{ path: "file", message: "too many pixels" }],
    });
  }
  // Orientation 5-8 swaps the sides once applied: record what a viewer sees.
  const swapped = (metadata.orientation ?? 1) >= 5;
  return swapped ? { width: height, height: width } : { width, height };
}

function rejected(message: string) {
  return new ApiError({ code: "VALIDATION_FAILED", message, details: [{ path: "file", message }] });
}
