/**
 * The upload baseline of `bench:file`: a bare Bun.serve that streams each request body to a file
 * in BARE_UPLOAD_DIR while hashing it (SHA-256), then removes the file. What the file service
 * does for an upload minus its own work (routing, auth, sniffing, checks, Postgres).
 */
import { open, rm } from "node:fs/promises";
import { join } from "node:path";

const directory = process.env.BARE_UPLOAD_DIR as string;
Bun.serve({
  port: Number(process.env.PORT),
  hostname: "127.0.0.1",
  maxRequestBodySize: 2 ** 40,
  async fetch(request) {
    if (request.method !== "POST" || !request.body) return new Response("ok");
    const path = join(directory, crypto.randomUUID());
    const hasher = new Bun.CryptoHasher("sha256");
    const handle = await open(path, "w");
    let size = 0;
    for await (const chunk of request.body) {
      hasher.update(chunk);
      size += chunk.length;
      await handle.write(chunk);
    }
    await handle.close();
    await rm(path, { force: true });
    return Response.json({ size, sha256: hasher.digest("hex") }, { status: 201 });
  },
});
