import sharp from "sharp";
import type { Variant } from "./variant-params";

/**
 * Process-wide sharp settings, set once at boot (startFileService, and the bench before its
 * baseline): rendering is CPU-bound, libvips' own threads do the work, and its operation cache
 * would only hold memory.
 */
export function configureRendering() {
  sharp.cache(false);
}

/** sharp, exactly as the bench's baseline calls it. */
export async function renderVariant(input: Buffer | string, variant: Variant, maxPixels: number): Promise<Buffer> {
  const pipeline = sharp(input, { limitInputPixels: maxPixels, failOn: "error" })
    .rotate()
    .resize({ width: variant.w, height: variant.h, fit: variant.fit, withoutEnlargement: true });
  const quality = variant.q;
  switch (variant.format) {
    case "webp":
      return pipeline.webp({ quality }).toBuffer();
    case "avif":
      return pipeline.avif({ quality, effort: 2 }).toBuffer();
    case "jpeg":
      return pipeline.jpeg({ quality, mozjpeg: false }).toBuffer();
    case "png":
      return pipeline.png({ compressionLevel: 6 }).toBuffer();
  }
}
