/**
 * deploy/rollout.sh's control flow, against a stand-in `docker` on PATH that keeps image tags and
 * running slots in files and logs what it was asked (there is no Docker engine here). Checks the
 * order (build, migrate, one slot at a time, reload Caddy) and the rollback paths.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { services } from "@lodge/services";

const root = new URL("../..", import.meta.url).pathname;

// Tags are files under $STATE/tags (content: image id); running slots are files under $STATE/running.
// FAIL_MIGRATE=1 fails the migrate run; FAIL_SLOT=<slot> fails that slot while it is on a new image.
const fakeDocker = `#!/usr/bin/env bash
set -euo pipefail
state=$STATE
resolve() { if [[ -f "$state/tags/$1" ]]; then cat "$state/tags/$1"; else echo "$1"; fi; }
case "$1" in
  image)
    [[ -f "$state/tags/$5" ]] || exit 1
    cat "$state/tags/$5" ;;
  tag)
    id=$(resolve "$2")
    echo "$id" >"$state/tags/$3"
    echo "tag $3 $id" >>"$state/log" ;;
  build)
    tag=$5
    echo "sha256:built-$tag" >"$state/tags/$tag"
    echo "build $tag" >>"$state/log" ;;
  compose)
    shift
    current=$(cat "$state/tags/lodge:current" 2>/dev/null || echo none)
    case "$1" in
      ps) [[ -f "$state/running/\${*: -1}" ]] && echo "cid-\${*: -1}" ; exit 0 ;;
      run)
        echo "migrate $current" >>"$state/log"
        [[ "\${FAIL_MIGRATE:-}" != 1 ]] ;;
      up)
        slot=\${*: -1}
        if [[ "$slot" == "$WAIT_TIMEOUT" ]]; then
          echo "up-all $current" >>"$state/log"; exit 0
        fi
        echo "up $slot $current" >>"$state/log"
        touch "$state/running/$slot"
        [[ "\${FAIL_SLOT:-}" != "$slot" || "$current" != sha256:built-* ]] ;;
      exec)
        cat >/dev/null
        echo "caddy \${*:5:1}" >>"$state/log" ;;
      logs) echo "(logs)" ;;
      *) echo "unexpected compose $*" >&2; exit 2 ;;
    esac ;;
  *) echo "unexpected docker $*" >&2; exit 2 ;;
esac
`;

let scratch = "";
afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** A checkout with rollout.sh, .env and a Caddyfile, and a box where `running` slots are up on lodge:old. */
function box(options: { running: string[]; previous?: boolean }) {
  scratch = mkdtempSync(join(tmpdir(), "lodge-rollout-"));
  mkdirSync(join(scratch, "repo/deploy"), { recursive: true });
  copyFileSync(join(root, "deploy/rollout.sh"), join(scratch, "repo/deploy/rollout.sh"));
  chmodSync(join(scratch, "repo/deploy/rollout.sh"), 0o755);
  writeFileSync(join(scratch, "repo/.env"), "POSTGRES_PASSWORD=x\n");
  writeFileSync(join(scratch, "repo/Caddyfile"), "localhost\n");
  for (const dir of ["bin", "state/tags", "state/running"]) mkdirSync(join(scratch, dir), { recursive: true });
  writeFileSync(join(scratch, "bin/docker"), fakeDocker);
  chmodSync(join(scratch, "bin/docker"), 0o755);
  if (options.running.length > 0) writeFileSync(join(scratch, "state/tags/lodge:current"), "sha256:old\n");
  if (options.previous) writeFileSync(join(scratch, "state/tags/lodge:previous"), "sha256:older\n");
  for (const slot of options.running) writeFileSync(join(scratch, "state/running", slot), "");
}

async function rollout(args: string[], env: Record<string, string> = {}) {
  const child = Bun.spawn(["bash", join(scratch, "repo/deploy/rollout.sh"), ...args], {
    env: {
      PATH: `${join(scratch, "bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      STATE: join(scratch, "state"),
      SETTLE_SECONDS: "0",
      WAIT_TIMEOUT: "5",
      ...env,
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stderr, code] = await Promise.all([new Response(child.stderr).text(), child.exited]);
  const log = readFileSync(join(scratch, "state/log"), "utf8").trim().split("\n");
  const tag = (name: string) => readFileSync(join(scratch, "state/tags", name), "utf8").trim();
  // Only what matters for the order: builds, migrations, slot replacements, Caddy.
  const steps = log.filter((line) => !line.startsWith("tag "));
  return { code, stderr, steps, tag };
}

describe("deploy/rollout.sh", () => {
  /** Every slot of every service of @lodge/services, in the list's order (test/deploy/compose.test.ts checks SERVICES against it). */
  const every = services.flatMap(({ name }) => [`${name}-a`, `${name}-b`]);
  const last = services.at(-1)?.name as string;

  test("builds, migrates with the new image, replaces every slot one at a time in the list's order, then reloads Caddy", async () => {
    box({ running: [...every, "caddy"] });
    const result = await rollout(["abc123"]);
    expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
    expect(result.steps).toEqual([
      "caddy validate",
      "build lodge:abc123",
      "migrate sha256:built-lodge:abc123",
      ...every.map((slot) => `up ${slot} sha256:built-lodge:abc123`),
      "caddy reload",
    ]);
    expect(result.tag("lodge:current")).toBe("sha256:built-lodge:abc123");
    expect(result.tag("lodge:previous")).toBe("sha256:old");
  });

  test("a slot that does not become healthy puts the previous image back on every replaced slot", async () => {
    box({ running: ["auth-a", "auth-b"] });
    const result = await rollout(["abc123"], { FAIL_SLOT: "auth-b" });
    expect(result.code).toBe(1);
    expect(result.steps).toEqual([
      "build lodge:abc123",
      "migrate sha256:built-lodge:abc123",
      "up auth-a sha256:built-lodge:abc123",
      "up auth-b sha256:built-lodge:abc123",
      "up auth-a sha256:old",
      "up auth-b sha256:old",
    ]);
    expect(result.tag("lodge:current")).toBe("sha256:old");
    expect(result.stderr).toContain("rolling back");
  });

  test("a later service's failure puts the previous image back on the earlier services' slots too", async () => {
    box({ running: every });
    const result = await rollout(["abc123"], { FAIL_SLOT: `${last}-a` });
    expect(result.code).toBe(1);
    const replaced = every.slice(0, every.indexOf(`${last}-a`) + 1);
    expect(result.steps).toEqual([
      "build lodge:abc123",
      "migrate sha256:built-lodge:abc123",
      ...replaced.map((slot) => `up ${slot} sha256:built-lodge:abc123`),
      ...replaced.map((slot) => `up ${slot} sha256:old`),
    ]);
    expect(result.tag("lodge:current")).toBe("sha256:old");
  });

  test("the first rollout of a new service onto a box that runs only auth creates its slots", async () => {
    box({ running: ["auth-a", "auth-b", "caddy"] });
    const result = await rollout(["abc123"]);
    expect(result.code).toBe(0);
    expect(result.steps.filter((step) => step.startsWith("up "))).toEqual(every.map((slot) => `up ${slot} sha256:built-lodge:abc123`));
    expect(result.steps.at(-1)).toBe("caddy reload");
  });

  test("a failed migration touches no slot", async () => {
    box({ running: ["auth-a", "auth-b"] });
    const result = await rollout(["abc123"], { FAIL_MIGRATE: "1" });
    expect(result.code).toBe(1);
    expect(result.steps).toEqual(["build lodge:abc123", "migrate sha256:built-lodge:abc123"]);
    expect(result.tag("lodge:current")).toBe("sha256:old");
  });

  test("on a fresh box it starts the whole stack", async () => {
    box({ running: [] });
    const result = await rollout(["abc123"]);
    expect(result.code).toBe(0);
    expect(result.steps).toEqual(["build lodge:abc123", "up-all sha256:built-lodge:abc123"]);
  });

  test("rollback rolls the previous image out the same way", async () => {
    box({ running: ["auth-a", "auth-b"], previous: true });
    const result = await rollout(["rollback"]);
    expect(result.code).toBe(0);
    expect(result.steps).toEqual(["migrate sha256:older", ...every.map((slot) => `up ${slot} sha256:older`)]);
    expect(result.tag("lodge:current")).toBe("sha256:older");
    expect(result.tag("lodge:previous")).toBe("sha256:old");
  });

  test("refuses to run without .env", async () => {
    box({ running: ["auth-a", "auth-b"] });
    rmSync(join(scratch, "repo/.env"));
    const child = Bun.spawn(["bash", join(scratch, "repo/deploy/rollout.sh"), "abc123"], {
      env: { PATH: `${join(scratch, "bin")}:${process.env.PATH}` },
      stderr: "pipe",
    });
    expect(await child.exited).toBe(1);
    expect(await new Response(child.stderr).text()).toContain(".env is missing");
  });
});
