import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** A real s3rver process (the npm devDependency) on a free port, with one bucket, for the S3 driver's tests. */
export async function startS3rver(bucket = "lodge") {
  const directory = await mkdtemp(join(tmpdir(), "lodge-s3rver-"));
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port as number;
  probe.stop(true);
  const bin = join(dirname(Bun.resolveSync("s3rver/package.json", import.meta.dir)), "bin", "s3rver.js");
  const child = Bun.spawn([process.execPath, bin, "-d", directory, "-p", String(port), "-a", "127.0.0.1", "--silent", "--configure-bucket", bucket], {
    stdout: "ignore",
    stderr: "pipe",
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`s3rver exited: ${await new Response(child.stderr).text()}`);
    const up = await fetch(endpoint)
      .then(async (response) => {
        await response.arrayBuffer();
        return true;
      })
      .catch(() => false);
    if (up) break;
    if (Date.now() > deadline) throw new Error("s3rver did not start");
    await Bun.sleep(50);
  }
  return {
    options: { endpoint, bucket, region: "us-east-1", accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    stop: async () => {
      child.kill();
      await child.exited;
      await rm(directory, { recursive: true, force: true });
    },
  };
}
