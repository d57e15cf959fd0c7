import sharp from "sharp";

/** Test images, made by sharp itself. */
export const images = {
  png: (width = 64, height = 48) =>
    sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 30 } } })
      .png()
      .toBuffer(),
  jpeg: (width = 64, height = 48) =>
    sharp({ create: { width, height, channels: 3, background: { r: 30, g: 200, b: 30 } } })
      .jpeg()
      .toBuffer(),
  gif: () =>
    sharp({ create: { width: 16, height: 16, channels: 3, background: "blue" } })
      .gif()
      .toBuffer(),
  webp: () =>
    sharp({ create: { width: 16, height: 16, channels: 3, background: "white" } })
      .webp()
      .toBuffer(),
  /** 40x20 pixels stored, with EXIF orientation 6 (rotate 90° clockwise to view: 20x40), a camera make and GPS-like comment. */
  rotatedJpeg: () =>
    sharp({ create: { width: 40, height: 20, channels: 3, background: { r: 10, g: 10, b: 200 } } })
      .jpeg()
      .withMetadata({ orientation: 6, exif: { IFD0: { Make: "LodgeCam", Copyright: "secret-exif-marker" } } })
      .toBuffer(),
  /** A tiny file that decodes to `width`x`height` pixels: a decompression bomb against a low limit. */
  hugePng: (width: number, height: number) =>
    sharp({ create: { width, height, channels: 3, background: "black" } })
      .png({ compressionLevel: 9 })
      .toBuffer(),
  /** A photo-like JPEG (noise, so it does not compress to nothing). */
  noisyJpeg: (width: number, height: number) =>
    sharp({ create: { width, height, channels: 3, background: "gray", noise: { type: "gaussian", mean: 128, sigma: 40 } } })
      .jpeg({ quality: 85 })
      .toBuffer(),
};

export const sha256 = (bytes: Uint8Array | string) => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
