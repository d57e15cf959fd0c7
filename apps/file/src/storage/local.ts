import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { assertKey, type ByteRange, type Storage } from "./index";

/** Files under one directory. Writes go to a temporary name and are renamed when complete, so a failed write leaves nothing. */
export async function createLocalStorage(directory: string): Promise<Storage> {
  const root = resolve(directory);
  await mkdir(join(root, ".tmp"), { recursive: true });
  const pathOf = (key: string) => {
    assertKey(key);
    return join(root, key);
  };

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
    async list(prefix) {
      if (prefix !== "") assertKey(prefix.replace(/\/$/, ""));
      const directory = prefix === "" || prefix.endsWith("/") ? join(root, prefix) : dirname(join(root, prefix));
      const entries = await readdir(directory, { recursive: true, withFileTypes: true }).catch(() => []);
      return entries
        .filter((entry) => entry.isFile())
        .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1))
        .filter((key) => key.startsWith(prefix) && !key.startsWith(".tmp/"))
        .sort();
    },
    localPath: (key) => pathOf(key),
    async check() {
      await stat(root);
    },
  };
}
