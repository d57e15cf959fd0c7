import { S3Client } from "bun";
import { assertKey, type ByteRange, listKeys, type Storage, type StoredObject } from "./index";

export type S3StorageOptions = {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  virtualHostedStyle?: boolean;
};

const PART_SIZE = 8 * 1024 * 1024;
/** A listing without a date reads as written at the end of time, so no grace period ever passes for it. */
const UNKNOWN = new Date(8.64e15);

/** Any S3-compatible store through Bun.S3Client (Hetzner Object Storage, MinIO, AWS; s3rver in tests). */
export async function createS3Storage(options: S3StorageOptions): Promise<Storage> {
  const client = new S3Client({
    endpoint: options.endpoint,
    bucket: options.bucket,
    region: options.region,
    accessKeyId: options.accessKeyId,
    secretAccessKey: options.secretAccessKey,
    virtualHostedStyle: options.virtualHostedStyle ?? false,
  });
  const file = (key: string) => {
    assertKey(key);
    return client.file(key);
  };

  const read = (key: string, range?: ByteRange) => {
    const object = file(key);
    return (range ? object.slice(range.start, range.end + 1) : object).stream() as ReadableStream<Uint8Array>;
  };

  async function* scan(prefix: string): AsyncIterable<StoredObject[]> {
    let startAfter: string | undefined;
    for (;;) {
      const page = await client.list({ prefix, maxKeys: 1000, ...(startAfter ? { startAfter } : {}) });
      const found = (page.contents ?? []).map((entry) => ({ key: entry.key, modifiedAt: entry.lastModified ? new Date(entry.lastModified) : UNKNOWN }));
      if (found.length > 0) yield found;
      if (!page.isTruncated || found.length === 0) return;
      startAfter = found[found.length - 1]?.key;
    }
  }

  return {
    kind: "s3",
    async write(key, body) {
      if (body instanceof Uint8Array) {
        await file(key).write(body);
        return body.length;
      }
      // A multipart upload that is only completed by end(): a stream that fails leaves no object.
      const writer = file(key).writer({ partSize: PART_SIZE, queueSize: 2, retry: 2 });
      let written = 0;
      try {
        for await (const chunk of body) {
          await writer.write(chunk);
          written += chunk.length;
        }
      } catch (error) {
        await Promise.resolve(writer.end(error instanceof Error ? error : new Error(String(error)))).catch(() => {});
        await client.delete(key).catch(() => {});
        throw error;
      }
      await writer.end();
      return written;
    },
    body: (key, range?: ByteRange) => read(key, range),
    read: (key, range?: ByteRange) => read(key, range),
    async bytes(key) {
      return await file(key).bytes();
    },
    async size(key) {
      try {
        return (await file(key).stat()).size;
      } catch (error) {
        if ((error as { code?: string }).code === "NoSuchKey" || (error as { code?: string }).code === "NotFound") return null;
        throw error;
      }
    },
    async delete(key) {
      await file(key).delete();
    },
    list: (prefix) => listKeys(scan(prefix)),
    scan,
    async check() {
      await client.list({ maxKeys: 1 });
    },
  };
}
