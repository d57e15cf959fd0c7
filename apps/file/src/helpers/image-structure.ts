import { ApiError } from "@lodge/kit";

/**
 * Where each accepted image format ends, found by walking its structure as the bytes stream in
 * (segments, chunks, blocks, boxes), so that anything after the end (an appended zip, HTML, script:
 * a polyglot) is refused, whatever that appended data itself ends with. Memory stays bounded: a walker
 * reads at most a few header bytes at a time and skips payloads by counting.
 */

/** What a walker asks of the stream: a few bytes, a number of bytes passed over, the next JPEG marker after entropy-coded data, or whether the stream has ended. */
type Need = { read: number } | { skip: number } | { entropy: true } | { end: true };
type Walk<T = void> = Generator<Need, T, unknown>;

function* read(count: number): Walk<Uint8Array> {
  return (yield { read: count }) as Uint8Array;
}
function* skip(count: number): Walk {
  yield { skip: count };
}
function* atEnd(): Walk<boolean> {
  return (yield { end: true }) as boolean;
}
/** JPEG entropy-coded data runs until a 0xFF followed by a byte other than 0x00 (stuffing), 0xFF (fill) or a restart marker. */
function* entropyCoded(): Walk<number> {
  return (yield { entropy: true }) as number;
}

const u32be = (bytes: Uint8Array, at: number) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(at);
const u32le = (bytes: Uint8Array, at: number) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, true);
const ascii = (bytes: Uint8Array) => String.fromCharCode(...bytes);

function corrupt(why: string) {
  const message = `The image is malformed or has data after its end (${why})`;
  return new ApiError({ code: "VALIDATION_FAILED", message, details: [{ path: "file", message }] });
}

/** One JPEG stream after its SOI: segments with their lengths, entropy-coded data after each SOS, up to EOI. */
function* jpegSegments(): Walk {
  let marker = yield* jpegMarker();
  for (;;) {
    if (marker === 0xd9) return;
    if (marker === 0xd8) throw corrupt("a second start of image inside the first");
    // Restart markers and TEM stand alone; every other segment carries its length.
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      marker = yield* jpegMarker();
      continue;
    }
    const length = yield* read(2);
    const size = ((length[0] as number) << 8) | (length[1] as number);
    if (size < 2) throw corrupt("a segment shorter than its length field");
    yield* skip(size - 2);
    marker = marker === 0xda ? yield* entropyCoded() : yield* jpegMarker();
  }
}

function* jpegMarker(): Walk<number> {
  let [byte] = yield* read(1);
  if (byte !== 0xff) throw corrupt("bytes between JPEG segments");
  do [byte] = yield* read(1);
  while (byte === 0xff);
  if (byte === 0x00) throw corrupt("an empty JPEG marker");
  return byte as number;
}

/**
 * A JPEG, then only further complete JPEG streams: phones store MPF images (HDR gain maps, previews)
 * after the primary image's EOI. Anything else after EOI (a zip, a Motion Photo's MP4, HTML) is refused.
 */
function* jpeg(): Walk {
  do {
    const soi = yield* read(2);
    if (soi[0] !== 0xff || soi[1] !== 0xd8) throw corrupt("data after the JPEG's end of image");
    yield* jpegSegments();
  } while (!(yield* atEnd()));
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Signature, then chunks (length, type, data, CRC) up to IEND. */
function* png(): Walk {
  const signature = yield* read(8);
  if (!PNG_SIGNATURE.every((value, index) => signature[index] === value)) throw corrupt("no PNG signature");
  for (;;) {
    const header = yield* read(8);
    const length = u32be(header, 0);
    if (length > 0x7fffffff) throw corrupt("a PNG chunk longer than the format allows");
    yield* skip(length + 4);
    if (ascii(header.subarray(4, 8)) === "IEND") return;
  }
}

/** Header and logical screen, the colour tables, then extension and image blocks (each a chain of sub-blocks) up to the trailer. */
function* gif(): Walk {
  const header = yield* read(13);
  if (!ascii(header.subarray(0, 6)).match(/^GIF8[79]a$/)) throw corrupt("no GIF signature");
  const screen = header[10] as number;
  if (screen & 0x80) yield* skip(3 << ((screen & 7) + 1));
  for (;;) {
    const [block] = yield* read(1);
    if (block === 0x3b) return;
    if (block === 0x21) {
      yield* skip(1);
    } else if (block === 0x2c) {
      const descriptor = yield* read(9);
      const flags = descriptor[8] as number;
      if (flags & 0x80) yield* skip(3 << ((flags & 7) + 1));
      yield* skip(1); // LZW minimum code size
    } else {
      throw corrupt("an unknown GIF block");
    }
    for (let [size] = yield* read(1); size !== 0; [size] = yield* read(1)) yield* skip(size as number);
  }
}

/** RIFF: the header's size covers the whole file; its chunks (padded to even sizes) must fill exactly that. */
function* webp(): Walk {
  const header = yield* read(12);
  if (ascii(header.subarray(0, 4)) !== "RIFF" || ascii(header.subarray(8, 12)) !== "WEBP") throw corrupt("no RIFF/WEBP header");
  let left = u32le(header, 4) - 4;
  if (left < 8) throw corrupt("a RIFF size too small for any chunk");
  while (left > 0) {
    if (left < 8) throw corrupt("a RIFF size that ends inside a chunk header");
    const chunk = yield* read(8);
    const size = u32le(chunk, 4);
    const padded = size + (size & 1);
    if (padded > left - 8) throw corrupt("a WebP chunk that runs past the RIFF size");
    yield* skip(padded);
    left -= 8 + padded;
  }
}

/**
 * ISO-BMFF (AVIF, HEIF): top-level boxes, each with its size, from an `ftyp` to the end of the file.
 * A box of size 0 ("to the end of the file") is refused: it would make anything appended part of it.
 */
function* isoBmff(): Walk {
  let first = true;
  do {
    const header = yield* read(8);
    const type = ascii(header.subarray(4, 8));
    if (!/^[\x20-\x7e]{4}$/.test(type)) throw corrupt("bytes that are not an ISO-BMFF box");
    if (first && type !== "ftyp") throw corrupt("no ftyp box first");
    first = false;
    let size = u32be(header, 0);
    let headerSize = 8;
    if (size === 1) {
      const large = yield* read(8);
      size = Number(new DataView(large.buffer, large.byteOffset).getBigUint64(0));
      headerSize = 16;
    } else if (size === 0) {
      throw corrupt("a box that runs to the end of the file");
    }
    if (size < headerSize) throw corrupt("a box smaller than its header");
    yield* skip(size - headerSize);
  } while (!(yield* atEnd()));
}

const walkers: Record<string, () => Walk> = {
  "image/jpeg": jpeg,
  "image/png": png,
  "image/gif": gif,
  "image/webp": webp,
  "image/avif": isoBmff,
  "image/heif": isoBmff,
  "image/heic": isoBmff,
};

export type StructureCheck = { push: (chunk: Uint8Array) => void; finish: () => void };

/**
 * A push parser for `contentType`'s structure (undefined for a type without one): `push` every chunk
 * in order, then `finish`. Either throws VALIDATION_FAILED as soon as the bytes are not that format,
 * or run past its end, or end before it.
 */
export function structureCheck(contentType: string): StructureCheck | undefined {
  const walker = walkers[contentType];
  if (!walker) return undefined;
  const walk = walker();
  let need: Need | undefined;
  // Bytes gathered for a `read`, bytes left to `skip`, whether the entropy scan stopped on a 0xFF.
  let gathered = new Uint8Array(0);
  let skipLeft = 0;
  let sawFF = false;

  const advance = (answer?: unknown) => {
    const step = walk.next(answer);
    need = step.done ? undefined : step.value;
    if (need && "read" in need) gathered = new Uint8Array(0);
    if (need && "skip" in need) skipLeft = need.skip;
    if (need && "entropy" in need) sawFF = false;
    if (need && "skip" in need && skipLeft === 0) advance();
  };
  advance();

  const push = (chunk: Uint8Array) => {
    let at = 0;
    while (at < chunk.length) {
      if (!need) throw corrupt("data after the image's end");
      if ("read" in need) {
        const take = Math.min(need.read - gathered.length, chunk.length - at);
        const next = new Uint8Array(gathered.length + take);
        next.set(gathered);
        next.set(chunk.subarray(at, at + take), gathered.length);
        gathered = next;
        at += take;
        if (gathered.length === need.read) advance(gathered);
      } else if ("skip" in need) {
        const take = Math.min(skipLeft, chunk.length - at);
        skipLeft -= take;
        at += take;
        if (skipLeft === 0) advance();
      } else if ("entropy" in need) {
        if (!sawFF) {
          const found = chunk.indexOf(0xff, at);
          if (found < 0) return;
          sawFF = true;
          at = found + 1;
          continue;
        }
        const byte = chunk[at++] as number;
        if (byte === 0xff) continue;
        sawFF = false;
        if (byte !== 0x00 && !(byte >= 0xd0 && byte <= 0xd7)) advance(byte);
      } else {
        advance(false);
      }
    }
  };

  const finish = () => {
    while (need && "end" in need) advance(true);
    if (need) throw corrupt("it ends before the format's end");
  };

  return { push, finish };
}
