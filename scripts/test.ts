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

let passed = 0;
let failed = 0;
for (const step of steps) {
  console.log(`\n=== ${step.name}: ${step.command.join(" ")}`);
  const child = Bun.spawn(step.command, { stdout: "pipe", stderr: "pipe", env: process.env });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  process.stdout.write(stdout);
  process.stderr.write(stderr);
  if (step.kind === "check") {
    if (code === 0) passed += 1;
    else failed += 1;
    continue;
  }
  const output = stdout + stderr;
  const pass = Number(output.match(/^\s*(\d+) pass$/m)?.[1] ?? 0);
  const fail = Number(output.match(/^\s*(\d+) fail$/m)?.[1] ?? 0);
  passed += pass;
  // A runner that died without reporting (or reported nothing) still counts as a failure.
  failed += fail + (code !== 0 && fail === 0 ? 1 : 0);
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);

export {};
