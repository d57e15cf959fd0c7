import { ApiError } from "@lodge/kit";
import sharp, { type Metadata } from "sharp";

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

/** How each raster format must end; bytes after the end (an appended zip, HTML, script) make a polyglot. */
const trailers: Record<string, Uint8Array> = {
  "image/png": new Uint8Array([0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]),
  "image/gif": new Uint8Array([0x3b]),
};

export type ImageInfo = { width: number; height: number };

/**
 * Checks that an upload sniffed as a raster image is only that: it decodes as the sniffed format,
 * it is under the pixel limit, there is no markup in its first bytes and nothing after its end.
 * `load` gives the whole file when the probe was too short for sharp to read the header.
 */
export async function inspectImage(input: {
  contentType: string;
  probe: Uint8Array;
  tail: Uint8Array;
  complete: boolean;
  maxPixels: number;
  load: () => Promise<Buffer | string>;
}): Promise<ImageInfo> {
  const { contentType, probe, tail } = input;
  if (markup.test(Buffer.from(probe.buffer, probe.byteOffset, probe.byteLength).toString("latin1"))) {
    throw rejected("The image contains markup or script (a polyglot file)");
  }
  const trailer = trailers[contentType];
  if (trailer && !endsWith(tail, trailer)) throw rejected("The image has data after its end (a polyglot or corrupt file)");

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

function endsWith(bytes: Uint8Array, suffix: Uint8Array) {
  if (bytes.length < suffix.length) return false;
  const offset = bytes.length - suffix.length;
  return suffix.every((value, index) => bytes[offset + index] === value);
}

function rejected(message: string) {
  return new ApiError({ code: "VALIDATION_FAILED", message, details: [{ path: "file", message }] });
}
