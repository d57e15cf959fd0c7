import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import sharp from "sharp";
import { archiveEndScanner } from "../src/helpers/archive-end";
import { imageStreamCheck } from "../src/helpers/inspect";
import { htmlMarkup, markupScanner } from "../src/helpers/sniff";
import { startTestFiles, type TestFiles } from "./harness";
import { images, sha256 } from "./images";

/**
 * Polyglots (issue 7, finding 9): an image that is also a zip, an HTML page or a script must be
 * refused, whichever way it is uploaded (raw POST, multipart, tus), while every ordinary image is kept.
 */
let t: TestFiles;
let alice: { id: string; token: string };
beforeAll(async () => {
  t = await startTestFiles({ FILE_MAX_SIZE_BYTES: String(4 * 1024 * 1024), FILE_QUOTA_BYTES: String(64 * 1024 * 1024) });
  alice = await t.user();
});
afterAll(() => t.close());

/** A small but real zip archive (one stored file), as appended by `cat image.jpg archive.zip`. */
function zipArchive(trailingComment = new Uint8Array(0)) {
  const name = Buffer.from("payload.html");
  const data = Buffer.from("<b>hello</b>");
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(10, 4);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(10, 4);
  central.writeUInt16LE(10, 6);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(name.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(local.length + name.length + data.length, 16);
  end.writeUInt16LE(trailingComment.length, 20);
  return Buffer.concat([local, name, data, central, name, end, trailingComment]);
}

const noise = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: "gray", noise: { type: "gaussian", mean: 128, sigma: 50 } } });

/** A JPEG whose first segments (COM, within the 65,535-byte segment limit) hold `bytes`, spread over as many segments as it takes. */
function withComments(jpeg: Buffer, bytes: Buffer) {
  const segments: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 60_000) {
    const body = bytes.subarray(at, at + 60_000);
    const header = Buffer.from([0xff, 0xfe, 0, 0]);
    header.writeUInt16BE(body.length + 2, 2);
    segments.push(header, body);
  }
  return Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);
}

const tusHeaders = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${alice.token}`, "tus-resumable": "1.0.0", ...extra });

/** The whole file through tus: create, then one PATCH with every byte (the last byte makes the file). */
async function tusUpload(bytes: Uint8Array, type: string) {
  const created = await fetch(`${t.url}/files/uploads`, {
    method: "POST",
    headers: tusHeaders({ "upload-length": String(bytes.length), "upload-metadata": `filename ${btoa("image")},filetype ${btoa(type)}` }),
  });
  expect(created.status).toBe(201);
  const response = await fetch(`${t.url}${created.headers.get("location")}`, {
    method: "PATCH",
    headers: tusHeaders({ "upload-offset": "0", "content-type": "application/offset+octet-stream" }),
    body: bytes,
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined, fileId: response.headers.get("lodge-file-id") };
}

/** Refused through all three ways in, in the one error shape, leaving nothing behind. */
async function refusedEverywhere(bytes: Uint8Array, type: string, message: RegExp, status = 422, code = "VALIDATION_FAILED") {
  const before = await t.snapshot();
  const answers = [
    await t.upload(alice.token, bytes, { type }),
    await t.upload(alice.token, bytes, { type, multipart: true, name: "image" }),
    await tusUpload(bytes, type),
  ];
  for (const answer of answers) {
    expect(answer.status).toBe(status);
    expect(answer.json?.error?.code).toBe(code);
    expect(answer.json?.error?.message).toMatch(message);
    expect(typeof answer.json?.error?.requestId).toBe("string");
  }
  expect(await t.snapshot()).toEqual(before);
}

describe("polyglots are refused by every upload path", () => {
  test("JPEG + ZIP (the zip appended after the JPEG's end of image)", async () => {
    await refusedEverywhere(Buffer.concat([await images.jpeg(), zipArchive()]), "image/jpeg", /after its end/);
  });

  test("WebP + ZIP (past the RIFF size)", async () => {
    await refusedEverywhere(Buffer.concat([await images.webp(), zipArchive()]), "image/webp", /after its end/);
  });

  test("JPEG + 300 KiB of padding + <script>", async () => {
    const jpeg = await images.jpeg();
    const tail = Buffer.concat([Buffer.alloc(300 * 1024, 0x20), Buffer.from("<script>alert(document.domain)</script>")]);
    await refusedEverywhere(Buffer.concat([jpeg, tail]), "image/jpeg", /after its end|markup/);
  });

  test("script inside the image's own segments, 300 KiB in: the whole file is scanned, not its head", async () => {
    const hidden = Buffer.concat([Buffer.alloc(300 * 1024, 0x20), Buffer.from("<script>alert(document.domain)</script>")]);
    await refusedEverywhere(withComments(await images.jpeg(), hidden), "image/jpeg", /markup/);
  });

  test("PNG + ZIP whose comment ends like a PNG (the old check only compared the last bytes)", async () => {
    const iend = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
    await refusedEverywhere(Buffer.concat([await images.png(), zipArchive(iend)]), "image/png", /after its end/);
  });

  test("a zip hidden inside the image's own structure: a WebP chunk within the RIFF size, a JPEG comment before EOI", async () => {
    const webp = await images.webp();
    const zip = zipArchive();
    const chunk = Buffer.alloc(8);
    chunk.write("ZIPS", 0, "latin1");
    chunk.writeUInt32LE(zip.length, 4);
    const padded = Buffer.concat([webp, chunk, zip, Buffer.alloc(zip.length & 1)]);
    padded.writeUInt32LE(padded.length - 8, 4);
    await refusedEverywhere(padded, "image/webp", /zip archive/);
    const jpeg = await images.jpeg();
    const comment = Buffer.from([0xff, 0xfe, 0, 0]);
    comment.writeUInt16BE(zip.length + 2, 2);
    await refusedEverywhere(Buffer.concat([jpeg.subarray(0, -2), comment, zip, jpeg.subarray(-2)]), "image/jpeg", /zip archive/);
  });

  test("AVIF + ZIP, GIF + ZIP, and an AVIF whose last box claims to run to the end of the file", async () => {
    const avif = await noise(64, 64).avif().toBuffer();
    await refusedEverywhere(Buffer.concat([avif, zipArchive()]), "image/avif", /after its end/);
    await refusedEverywhere(Buffer.concat([await images.gif(), zipArchive()]), "image/gif", /after its end/);
    // Rewrite the last top-level box's size to 0 ("to the end of the file"), then append.
    let at = 0;
    let last = 0;
    while (at < avif.length) {
      last = at;
      at += avif.readUInt32BE(at);
    }
    const open = Buffer.from(avif);
    open.writeUInt32BE(0, last);
    await refusedEverywhere(Buffer.concat([open, zipArchive()]), "image/avif", /after its end/);
  });
});

describe("text that browsers could take for a page", () => {
  test("markup past the first 4 KiB makes text the HTML it is (415 here, where HTML is not accepted), as it would at its start", async () => {
    const page = Buffer.from(`${"just some notes, a < b and b > c\n".repeat(2000)}<iframe src="https://evil.example"></iframe>\n`);
    expect(page.indexOf("<iframe")).toBeGreaterThan(64 * 1024);
    await refusedEverywhere(page, "text/plain", /text\/html/, 415, "UNSUPPORTED_MEDIA_TYPE");
    await refusedEverywhere(Buffer.from(`<script>alert(1)</script>`), "text/plain", /text\/html/, 415, "UNSUPPORTED_MEDIA_TYPE");
    const notes = Buffer.from("just some notes, a < b and b > c, <scripture> is not a tag\n".repeat(2000));
    const stored = await t.upload(alice.token, notes, { type: "text/plain" });
    expect(stored.status).toBe(201);
    expect(stored.json.contentType).toBe("text/plain");
  });
});

describe("ordinary images still upload", () => {
  test("sharp's JPEG (baseline, progressive, EXIF-rotated, a photo-like one over 512 KiB), PNG, WebP (lossy, lossless), AVIF and GIF, raw, multipart and tus", async () => {
    const samples: [string, Buffer][] = [
      ["image/jpeg", await images.jpeg()],
      ["image/jpeg", await noise(300, 200).jpeg({ progressive: true, mozjpeg: true }).toBuffer()],
      ["image/jpeg", await images.rotatedJpeg()],
      ["image/jpeg", await images.noisyJpeg(1400, 1000)],
      ["image/png", await images.png()],
      ["image/png", await noise(300, 300).png({ palette: true }).toBuffer()],
      ["image/webp", await images.webp()],
      ["image/webp", await noise(200, 200).webp({ lossless: true }).toBuffer()],
      ["image/avif", await noise(120, 80).avif().toBuffer()],
      ["image/gif", await images.gif()],
    ];
    expect(samples[3]?.[1].length).toBeGreaterThan(512 * 1024);
    for (const [type, bytes] of samples) {
      for (const answer of [await t.upload(alice.token, bytes, { type }), await t.upload(alice.token, bytes, { type, multipart: true, name: "image" })]) {
        expect(answer.status).toBe(201);
        expect(answer.json).toMatchObject({ contentType: type, size: bytes.length, sha256: sha256(bytes) });
      }
      const viaTus = await tusUpload(bytes, type);
      expect(viaTus.status).toBe(204);
      expect(viaTus.fileId).toBeTruthy();
    }
  });

  test("a JPEG carrying a second JPEG after its end (MPF: HDR gain maps, previews) is one image", async () => {
    const bytes = Buffer.concat([await images.jpeg(), await images.jpeg(16, 16)]);
    expect((await t.upload(alice.token, bytes, { type: "image/jpeg" })).status).toBe(201);
  });
});

describe("the stream check itself", () => {
  test("markup split across chunk boundaries is found; split image structure is followed", async () => {
    const avif = await noise(40, 40).avif().toBuffer();
    const polyglot = Buffer.concat([avif.subarray(0, 100), Buffer.from("java"), Buffer.from("script:"), avif.subarray(100)]);
    for (const size of [1, 3, 102, 103]) {
      const check = imageStreamCheck("image/avif");
      const feed = () => {
        for (let at = 0; at < polyglot.length; at += size) check.push(polyglot.subarray(at, at + size));
        check.finish();
      };
      expect(feed).toThrow(/markup/);
      const clean = imageStreamCheck("image/avif");
      for (let at = 0; at < avif.length; at += size) clean.push(avif.subarray(at, at + size));
      clean.finish();
    }
  });

  test("text's markup scan: a match whose '<' ends one chunk is found in the next, which holds no '<'; plain chunks find nothing", () => {
    const encode = (text: string) => new TextEncoder().encode(text);
    for (const pieces of [
      ["plain words <", "script> more words"],
      ["<scr", "ipt>"],
      ["a", "<", "i", "frame>"],
    ]) {
      const scan = markupScanner(htmlMarkup, "<script/".length, "<");
      expect(pieces.map((piece) => scan(encode(piece))).some(Boolean)).toBe(true);
    }
    const clean = markupScanner(htmlMarkup, "<script/".length, "<");
    expect(["just text, ", "a < b and c > d, ", "script ", "no tags"].map((piece) => clean(encode(piece))).some(Boolean)).toBe(false);
  });

  test("a zip's end record is found in the last 64 KiB whatever the chunk sizes; photo-like data alone is no archive", async () => {
    const photo = await images.noisyJpeg(600, 400);
    expect(photo.length).toBeGreaterThan(128 * 1024);
    for (const size of [1, 1000, 65_557, 70_000, photo.length]) {
      for (const [bytes, expected] of [
        [Buffer.concat([photo, zipArchive()]), true],
        [Buffer.concat([photo, zipArchive(Buffer.alloc(60_000, 0x20))]), true],
        [photo, false],
      ] as const) {
        const scanner = archiveEndScanner();
        for (let at = 0; at < bytes.length; at += size) scanner.push(bytes.subarray(at, at + size));
        expect({ size, expected, found: scanner.isArchive() }).toEqual({ size, expected, found: expected });
      }
    }
  });
});
