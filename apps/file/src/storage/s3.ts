import { S3Client } from "bun";
import { assertKey, type ByteRange, type Storage } from "./index";

export type S3StorageOptions = {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  virtualHostedStyle?: boolean;
};

const PART_SIZE = 8 * 1024 * 1024;

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
    async list(prefix) {
      const keys: string[] = [];
      let startAfter: string | undefined;
      for (;;) {
        const page = await client.list({ prefix, maxKeys: 1000, ...(startAfter ? { startAfter } : {}) });
        const found = (page.contents ?? []).map((entry) => entry.key);
        keys.push(...found);
        if (!page.isTruncated || found.length === 0) return keys.sort();
        startAfter = found[found.length - 1];
      }
    },
    async check() {
      await client.list({ maxKeys: 1 });
    },
  };
}
