/**
 * `bun run test`: lint, typecheck, the service and package tests against real Postgres and Redis,
 * then the end-to-end tests through a real Caddy. Prints one closing line `N passed, N failed`.
 */

type Step = { name: string; command: string[]; kind: "check" | "bun-test" };

const steps: Step[] = [
  { name: "lint (biome)", command: ["bunx", "biome", "check", "."], kind: "check" },
  { name: "typecheck (tsc)", command: ["bunx", "tsc", "--noEmit", "-p", "."], kind: "check" },
  { name: "services and packages", command: ["bun", "test", "--timeout", "30000", "./apps", "./packages"], kind: "bun-test" },
  { name: "end to end (through Caddy) and deployment files", command: ["bun", "test", "--timeout", "60000", "./test"], kind: "bun-test" },
];

/** A step still running after this long is stuck (a hung test starves the runner's own timeouts): it is killed and fails. */
const STEP_LIMIT_MS = Number(process.env.TEST_STEP_LIMIT_MINUTES ?? 45) * 60_000;

/** Copies a child's output through as it comes (so a stuck step shows where it stopped) and keeps it for the tally. */
async function relay(stream: ReadableStream<Uint8Array>, out: NodeJS.WriteStream) {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of stream) {
    out.write(chunk);
    text += decoder.decode(chunk, { stream: true });
  }
  return text;
}

let passed = 0;
let failed = 0;
for (const step of steps) {
  console.log(`\n=== ${step.name}: ${step.command.join(" ")}`);
  const child = Bun.spawn(step.command, { stdout: "pipe", stderr: "pipe", env: process.env });
  let stuck = false;
  const watchdog = setTimeout(() => {
    stuck = true;
    console.error(`\n=== ${step.name}: still running after ${STEP_LIMIT_MS / 60_000} minutes, killed`);
    child.kill("SIGKILL");
  }, STEP_LIMIT_MS);
  const [stdout, stderr, code] = await Promise.all([relay(child.stdout, process.stdout), relay(child.stderr, process.stderr), child.exited]);
  clearTimeout(watchdog);
  if (step.kind === "check") {
    if (code === 0) passed += 1;
    else failed += 1;
    continue;
  }
  const output = stdout + stderr;
  const pass = Number(output.match(/^\s*(\d+) pass$/m)?.[1] ?? 0);
  const fail = Number(output.match(/^\s*(\d+) fail$/m)?.[1] ?? 0);
  passed += pass;
  // A runner that died or was killed without reporting (or reported nothing) still counts as a failure.
  failed += fail + ((code !== 0 || stuck) && fail === 0 ? 1 : 0);
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);

export {};
