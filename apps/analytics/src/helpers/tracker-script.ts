import { createHash } from "node:crypto";

/** The tracker as served: minified once at boot, with a strong ETag of its bytes. */
export type TrackerScript = { body: string; etag: string };

/** The hand-written source (apps/analytics/tracker/tracker.js), kept readable; browsers get it minified. */
const source = new URL("../../tracker/tracker.js", import.meta.url).pathname;

export async function buildTrackerScript(): Promise<TrackerScript> {
  const built = await Bun.build({ entrypoints: [source], minify: true, target: "browser" });
  const [output] = built.outputs;
  if (!built.success || !output) throw new Error(`the tracker script did not build: ${built.logs.join("\n")}`);
  const body = await output.text();
  return { body, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"` };
}
