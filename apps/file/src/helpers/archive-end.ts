/** A zip's end record: its signature, 22 bytes, and a comment of up to 65,535 bytes after it. */
const SIGNATURE = [0x50, 0x4b, 0x05, 0x06];
const RECORD = 22;
const WINDOW = RECORD + 0xffff;

/**
 * Whether a zip reader would open these bytes as an archive. Readers look for the end record in the
 * last 64 KiB and follow it to the central directory before it, so a zip can be hidden inside an
 * image's own chunks (a WebP chunk, a JPEG comment before EOI) where no trailing-data check sees it.
 * Keeps only the last 64 KiB (a ring buffer); an end record whose directory lies before it is a hit
 * (random image data forms one about once in billions of images).
 */
export function archiveEndScanner() {
  const ring = new Uint8Array(WINDOW);
  let total = 0;
  return {
    push(chunk: Uint8Array) {
      const bytes = chunk.length > WINDOW ? chunk.subarray(chunk.length - WINDOW) : chunk;
      const start = (total + chunk.length - bytes.length) % WINDOW;
      const first = Math.min(bytes.length, WINDOW - start);
      ring.set(bytes.subarray(0, first), start);
      ring.set(bytes.subarray(first), 0);
      total += chunk.length;
    },
    isArchive(): boolean {
      const kept = Math.min(total, WINDOW);
      const tail = new Uint8Array(kept);
      const start = (total - kept) % WINDOW;
      tail.set(ring.subarray(start, Math.min(WINDOW, start + kept)));
      if (start + kept > WINDOW) tail.set(ring.subarray(0, start + kept - WINDOW), WINDOW - start);
      const view = new DataView(tail.buffer);
      for (let at = kept - RECORD; at >= 0; at--) {
        if (!SIGNATURE.every((value, index) => tail[at + index] === value)) continue;
        const directorySize = view.getUint32(at + 12, true);
        const directoryOffset = view.getUint32(at + 16, true);
        if (directoryOffset + directorySize <= total - kept + at) return true;
      }
      return false;
    },
  };
}
