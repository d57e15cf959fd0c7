import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { assertKey, type ByteRange, listKeys, type Storage, type StoredObject } from "./index";

/** Files under one directory. Writes go to a temporary name and are renamed when complete, so a failed write leaves nothing. */
export async function createLocalStorage(directory: string): Promise<Storage> {
  const root = resolve(directory);
  await mkdir(join(root, ".tmp"), { recursive: true });
  const pathOf = (key: string) => {
    assertKey(key);
    return join(root, key);
  };

  async function* scan(prefix: string): AsyncIterable<StoredObject[]> {
    if (prefix !== "") assertKey(prefix.replace(/\/$/, ""));
    const directory = prefix === "" || prefix.endsWith("/") ? join(root, prefix) : dirname(join(root, prefix));
    const entries = await readdir(directory, { recursive: true, withFileTypes: true }).catch(() => []);
    const keys = entries
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1))
      .filter((key) => key.startsWith(prefix) && !key.startsWith(".tmp/"))
      .sort();
    for (let start = 0; start < keys.length; start += 1000) {
      const page = await Promise.all(
        keys.slice(start, start + 1000).map(async (key) => {
          const info = await stat(join(root, key)).catch(() => null); // removed since the listing
          return info ? { key, modifiedAt: info.mtime } : null;
        }),
      );
      yield page.filter((object) => object !== null);
    }
  }

  return {
    kind: "local",
    async write(key, body) {
      const target = pathOf(key);
      await mkdir(dirname(target), { recursive: true });
      const temporary = join(root, ".tmp", crypto.randomUUID());
      const handle = await open(temporary, "w");
      let written = 0;
      try {
        if (body instanceof Uint8Array) {
          await handle.write(body);
          written = body.length;
        } else {
          for await (const chunk of body) {
            await handle.write(chunk);
            written += chunk.length;
          }
        }
        await handle.close();
        await rename(temporary, target);
        return written;
      } catch (error) {
        await handle.close().catch(() => {});
        await rm(temporary, { force: true });
        throw error;
      }
    },
    body(key, range?: ByteRange) {
      const file = Bun.file(pathOf(key));
      return range ? file.slice(range.start, range.end + 1) : file;
    },
    read(key, range?: ByteRange) {
      const file = Bun.file(pathOf(key));
      return (range ? file.slice(range.start, range.end + 1) : file).stream() as ReadableStream<Uint8Array>;
    },
    async bytes(key) {
      return new Uint8Array(await Bun.file(pathOf(key)).arrayBuffer());
    },
    async size(key) {
      try {
        const info = await stat(pathOf(key));
        return info.isFile() ? info.size : null;
      } catch {
        return null;
      }
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
    list: (prefix) => listKeys(scan(prefix)),
    scan,
    localPath: (key) => pathOf(key),
    async check() {
      await stat(root);
    },
  };
}
