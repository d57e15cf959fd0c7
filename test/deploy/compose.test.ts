/**
 * Static checks of the deployment files (compose.yaml is never run here): they parse, every
 * reference resolves, every variable is documented, and the Caddyfile and rollout script are
 * accepted by the tools that will run them.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { authEnv } from "../../apps/auth/src/env";

const root = new URL("../..", import.meta.url).pathname;
const read = (path: string) => readFileSync(join(root, path), "utf8");

type Service = {
  image?: string;
  build?: { context?: string; dockerfile?: string };
  command?: string[] | string;
  restart?: string;
  environment?: Record<string, string> | string[];
  env_file?: string | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  volumes?: (string | { type?: string; source?: string })[];
  networks?: string[] | Record<string, unknown>;
  ports?: string[];
  healthcheck?: { test?: string[] | string };
};
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown>; networks?: Record<string, unknown> };

const composeText = read("compose.yaml");
// `<<` merge keys: the service slots share one anchor.
const compose = parse(composeText, { merge: true }) as Compose;
const services = Object.entries(compose.services);

/** Names `.env.example` documents, set (`NAME=`) or left at their default (`# NAME=`). */
const documented = new Set([...read(".env.example").matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1] as string));

const keysOf = (value: string[] | Record<string, unknown> | undefined) => (Array.isArray(value) ? value : Object.keys(value ?? {}));
const commandOf = (service: Service) => (Array.isArray(service.command) ? service.command.join(" ") : (service.command ?? ""));
const runsAuth = (service: Service) => commandOf(service).includes("apps/auth/src/main.ts");

async function run(command: string[], env: Record<string, string> = {}) {
  const child = Bun.spawn(command, { cwd: root, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { code, stdout, stderr };
}

describe("compose.yaml", () => {
  test("parses, with postgres, redis, migrate, caddy and two auth slots", () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(["postgres", "redis", "migrate", "caddy", "auth-a", "auth-b"]));
    expect(services.filter(([, service]) => runsAuth(service)).map(([name]) => name)).toEqual(["auth-a", "auth-b"]);
  });

  test("every depends_on names a defined service", () => {
    for (const [name, service] of services) {
      for (const dependency of keysOf(service.depends_on))
        expect({ service: name, dependency, defined: dependency in compose.services }).toMatchObject({ defined: true });
    }
  });

  test("the apps wait for a successful migrate, and migrate waits for a healthy postgres", () => {
    for (const [, service] of services.filter(([, service]) => runsAuth(service))) {
      const dependsOn = service.depends_on as Record<string, { condition?: string }>;
      expect(dependsOn.migrate?.condition).toBe("service_completed_successfully");
      expect(dependsOn.postgres?.condition).toBe("service_healthy");
      expect(dependsOn.redis?.condition).toBe("service_healthy");
    }
    const migrate = compose.services.migrate as Service;
    expect(commandOf(migrate)).toBe("bun run migrate");
    expect((migrate.depends_on as Record<string, { condition?: string }>).postgres?.condition).toBe("service_healthy");
  });

  test("every named volume is declared", () => {
    for (const [name, service] of services) {
      for (const volume of service.volumes ?? []) {
        const source = typeof volume === "string" ? (volume.split(":")[0] as string) : (volume.source ?? "");
        const named = source !== "" && !source.startsWith(".") && !source.startsWith("/") && !source.startsWith("~");
        if (named) expect({ service: name, volume: source, declared: source in (compose.volumes ?? {}) }).toMatchObject({ declared: true });
      }
    }
    expect(compose.services.postgres?.volumes?.some((volume) => typeof volume === "string" && volume.startsWith("postgres_data:"))).toBe(true);
    expect(compose.services.redis?.volumes?.some((volume) => typeof volume === "string" && volume.startsWith("redis_data:"))).toBe(true);
    expect(compose.services.caddy?.volumes?.some((volume) => typeof volume === "string" && volume.startsWith("caddy_data:"))).toBe(true);
  });

  test("every network used is declared, and the backend network is internal", () => {
    for (const [name, service] of services) {
      for (const network of keysOf(service.networks))
        expect({ service: name, network, declared: network in (compose.networks ?? {}) }).toMatchObject({ declared: true });
    }
    expect(compose.networks?.backend).toMatchObject({ internal: true });
  });

  test("every variable compose.yaml interpolates is documented in .env.example", () => {
    // `$$` is compose's escape for a literal `$` (expanded inside the container, not by compose).
    const referenced = new Set(
      [...composeText.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)/g), ...composeText.matchAll(/(?<!\$)\$([A-Za-z_][A-Za-z0-9_]*)/g)].map(
        (match) => match[1] as string,
      ),
    );
    expect(referenced.size).toBeGreaterThan(0);
    expect([...referenced].filter((name) => !documented.has(name))).toEqual([]);
  });

  test("secrets come from the environment, never from the file", () => {
    expect(composeText).toMatch(/POSTGRES_PASSWORD: \$\{POSTGRES_PASSWORD:\?/);
    expect(composeText).toMatch(/REDIS_PASSWORD: \$\{REDIS_PASSWORD:\?/);
    expect(composeText).not.toMatch(/PASSWORD[:=]\s*["']?[A-Za-z0-9]{6,}/);
  });

  test("every long-running service has a restart policy; migrate is the one-shot", () => {
    for (const [name, service] of services) {
      if (name === "migrate") expect(service.restart).toBe("no");
      else expect({ service: name, restart: service.restart }).toMatchObject({ restart: expect.stringMatching(/^(always|unless-stopped|on-failure)/) });
    }
  });

  test("postgres, redis and every auth slot have a healthcheck; auth's asks /ready", () => {
    for (const name of ["postgres", "redis", "auth-a", "auth-b"]) expect(compose.services[name]?.healthcheck?.test).toBeDefined();
    for (const name of ["auth-a", "auth-b"]) expect(JSON.stringify(compose.services[name]?.healthcheck?.test)).toContain("/ready");
  });

  test("only Caddy publishes ports to the world; nothing else does beyond loopback", () => {
    expect(compose.services.caddy?.ports).toEqual(expect.arrayContaining(["80:80", "443:443"]));
    for (const [name, service] of services) {
      if (name === "caddy") continue;
      for (const port of service.ports ?? []) expect({ service: name, port }).toMatchObject({ port: expect.stringMatching(/^127\.0\.0\.1:/) });
    }
  });

  test("the Bun services run the one image built from deploy/Dockerfile", () => {
    for (const [, service] of services.filter(([name, service]) => runsAuth(service) || name === "migrate")) {
      expect(service.build?.dockerfile).toBe("deploy/Dockerfile");
      // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's interpolation syntax, not a template
      expect(service.image).toBe("${LODGE_IMAGE:-lodge:current}");
    }
    const dockerfile = read("deploy/Dockerfile");
    expect(dockerfile).toMatch(/^FROM oven\/bun/m);
    expect(dockerfile).toContain("bun install --frozen-lockfile --production");
    expect(dockerfile).toMatch(/^USER (?!root)\S+/m);
  });

  test("auth's environment in compose names only variables the auth schema knows", () => {
    const known = Object.keys(authEnv.shape);
    for (const [, service] of services.filter(([, service]) => runsAuth(service))) {
      expect(keysOf(service.environment).filter((name) => !known.includes(name))).toEqual([]);
      expect(service.env_file).toBe(".env");
    }
  });
});

describe(".env.example", () => {
  test("documents every variable of the auth env schema", () => {
    expect(Object.keys(authEnv.shape).filter((name) => !documented.has(name))).toEqual([]);
  });

  test("gives each variable a one-line comment", () => {
    const lines = read(".env.example").split("\n");
    lines.forEach((line, index) => {
      if (!/^#?\s*[A-Z][A-Z0-9_]*=/.test(line)) return;
      expect({ line, comment: lines[index - 1] ?? "" }).toMatchObject({ comment: expect.stringMatching(/^# \S/) });
    });
  });
});

describe("Caddyfile", () => {
  test("caddy validate accepts it with the production defaults", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "lodge-caddy-"));
    try {
      const result = await run(["caddy", "validate", "--adapter", "caddyfile", "--config", "Caddyfile"], {
        HOME: scratch,
        XDG_CONFIG_HOME: join(scratch, "config"),
        XDG_DATA_HOME: join(scratch, "data"),
        LODGE_DOMAIN: "lodge.example.com",
      });
      expect({ code: result.code, output: result.stderr.slice(-2000) }).toMatchObject({ code: 0 });
      expect(result.stdout + result.stderr).toContain("Valid configuration");
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  test("is formatted as caddy fmt writes it", async () => {
    const result = await run(["caddy", "fmt", "Caddyfile"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(read("Caddyfile"));
  });
});

describe("deploy/", () => {
  test("rollout.sh is valid bash with strict mode (and shellcheck-clean where shellcheck is installed)", async () => {
    const script = read("deploy/rollout.sh");
    expect(script.startsWith("#!/usr/bin/env bash\n")).toBe(true);
    expect(script).toContain("set -euo pipefail");
    const syntax = await run(["bash", "-n", "deploy/rollout.sh"]);
    expect({ code: syntax.code, stderr: syntax.stderr }).toEqual({ code: 0, stderr: "" });
    if (Bun.which("shellcheck")) {
      const lint = await run(["shellcheck", "deploy/rollout.sh"]);
      expect({ code: lint.code, output: lint.stdout }).toEqual({ code: 0, output: "" });
    }
  });

  test("prometheus.yml scrapes every auth slot on its own port and loads alerts.yml", () => {
    const config = parse(read("deploy/prometheus.yml")) as {
      rule_files: string[];
      scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
    };
    expect(config.rule_files).toContain("alerts.yml");
    expect(existsSync(join(root, "deploy/alerts.yml"))).toBe(true);
    const targets = config.scrape_configs.flatMap((job) => job.static_configs.flatMap((group) => group.targets));
    expect(targets).toEqual(expect.arrayContaining(["auth-a:3001", "auth-b:3001"]));
    for (const target of targets) {
      const host = target.split(":")[0] as string;
      if (host !== "127.0.0.1") expect({ target, service: host in compose.services }).toMatchObject({ service: true });
    }
  });

  test("alerts.yml has well-formed rules over the metrics the services export (promtool-checked where installed)", async () => {
    const alerts = parse(read("deploy/alerts.yml")) as {
      groups: { name: string; rules: { alert: string; expr: string; labels: { severity: string }; annotations: { summary: string } }[] }[];
    };
    const rules = alerts.groups.flatMap((group) => group.rules);
    for (const rule of rules) {
      expect(rule.alert).toMatch(/^[A-Z][A-Za-z0-9]+$/);
      expect(rule.expr.trim().length).toBeGreaterThan(0);
      expect(["critical", "warning"]).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length).toBeGreaterThan(0);
    }
    if (Bun.which("promtool")) {
      // Checks prometheus.yml and, through rule_files, every PromQL expression in alerts.yml.
      const check = await run(["promtool", "check", "config", "deploy/prometheus.yml"]);
      expect({ code: check.code, output: check.stdout + check.stderr }).toMatchObject({ code: 0 });
    }
    const exprs = rules.map((rule) => rule.expr).join("\n");
    for (const metric of [
      "up",
      "http_request_duration_seconds_count",
      "http_request_duration_seconds_bucket",
      "events_consumer_lag",
      "events_pending",
      "queue_jobs",
    ]) {
      expect(exprs).toContain(metric);
    }
  });

  test("the workflow runs .ci/run and deploys main over SSH with deploy/rollout.sh", () => {
    const workflow = parse(read(".github/workflows/deploy.yml")) as {
      jobs: Record<string, { needs?: string | string[]; if?: string; steps: { run?: string }[] }>;
    };
    const runs = (job: string) => (workflow.jobs[job]?.steps ?? []).map((step) => step.run ?? "").join("\n");
    expect(runs("test")).toContain(".ci/run");
    expect(workflow.jobs.deploy?.needs).toBe("test");
    expect(workflow.jobs.deploy?.if).toContain("refs/heads/main");
    expect(runs("deploy")).toContain("deploy/rollout.sh");
    expect(runs("deploy")).toContain("ssh ");
  });
});
