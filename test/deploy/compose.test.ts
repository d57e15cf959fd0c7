/**
 * Static checks of the deployment files (compose.yaml is never run here): they parse, every
 * reference resolves, every variable is documented, the Caddyfile and rollout script are
 * accepted by the tools that will run them, and each of them has every service of the list in
 * @lodge/services (its slots, port, routes, client) and none that the list lacks.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { services as listed, operationsPaths } from "@lodge/services";
import { parse } from "yaml";
import { authEnv } from "../../apps/auth/src/env";
import { fileEnv } from "../../apps/file/src/env";
import { notificationEnv } from "../../apps/notification/src/env";
import { userEnv } from "../../apps/user/src/env";

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

type EnvSchema = {
  safeParse(input: unknown): { error?: { issues: unknown[] } };
  shape?: Record<string, unknown>;
  in?: { shape: Record<string, unknown> };
};
/** A service's env schema, as its main.ts parses it: `<name>Env` from apps/<name>/src/env.ts. */
async function envSchemaOf(name: string): Promise<EnvSchema> {
  const path = join(root, `apps/${name}/src/env.ts`);
  if (!existsSync(path)) throw new Error(`@lodge/services lists "${name}", but apps/${name}/src/env.ts does not exist`);
  const schema = (await import(path))[`${name}Env`] as EnvSchema | undefined;
  if (!schema) throw new Error(`apps/${name}/src/env.ts exports no ${name}Env`);
  return schema;
}

/** The Bun services compose runs as two slots each (the list in @lodge/services), with the env schema main.ts parses. */
const apps = await Promise.all(
  listed.map(async (service) => {
    const env = await envSchemaOf(service.name);
    return { ...service, env, variables: Object.keys(env.shape ?? env.in?.shape ?? {}) };
  }),
);
const runs = (app: string) => (service: Service) => commandOf(service).includes(`apps/${app}/src/main.ts`);
/** Runs one of the apps (listed or not: a slot of a service missing from the list is found too). */
const runsApp = (service: Service) => /apps\/[^/]+\/src\/main\.ts/.test(commandOf(service));
const slotsOf = (app: string) => services.filter(([, service]) => runs(app)(service));
const environmentOf = (service: Service | undefined) =>
  (Array.isArray(service?.environment)
    ? Object.fromEntries(service.environment.map((entry) => [entry.split("=")[0], entry.split("=").slice(1).join("=")]))
    : (service?.environment ?? {})) as Record<string, string>;

/** compose's interpolation (`${NAME}`, `${NAME:-default}`, `${NAME:?error}`, `$$`) against a .env. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (match, name: string | undefined, operator?: string, argument?: string) => {
    if (!name) return "$";
    const set = env[name];
    if (set !== undefined && set !== "") return set;
    if (operator === ":-" || operator === "-") return argument ?? "";
    if (operator === ":?" || operator === "?") throw new Error(`${name}: ${argument}`);
    return match.startsWith("${") ? "" : match;
  });
}

/** A filled-in .env as an operator writes it from .env.example. */
const dotEnv: Record<string, string> = {
  LODGE_DOMAIN: "api.example.com",
  POSTGRES_PASSWORD: "a".repeat(64),
  REDIS_PASSWORD: "b".repeat(64),
  USER_CLIENT_ID: "user-service",
  USER_CLIENT_SECRET: "c".repeat(64),
  NOTIFICATION_CLIENT_SECRET: "g".repeat(64),
  AI_CLIENT_SECRET: "i".repeat(64),
  BOT_CLIENT_SECRET: "j".repeat(64),
  BOT_WEBHOOK_SECRET: "k".repeat(64),
  FILE_SIGNING_SECRET: "d".repeat(64),
  NOTIFICATION_UNSUBSCRIBE_SECRET: "h".repeat(64),
  AUTH_KEY_ENCRYPTION_SECRET: "e".repeat(64),
  CORS_ORIGINS: "https://app.example.com",
  APP_URL: "https://app.example.com",
  SMTP_URL: "smtp://lodge:f@smtp.example.com:587",
};
/** What a slot's process sees: .env (env_file), then compose's `environment`, interpolated. */
const processEnv = (service: Service | undefined, env = dotEnv) => ({
  ...env,
  ...Object.fromEntries(Object.entries(environmentOf(service)).map(([name, value]) => [name, interpolate(String(value), env)])),
});

type CaddyRoute = { match?: { path?: string[] }[]; handle?: CaddyHandler[] };
type CaddyHandler = { handler: string; routes?: CaddyRoute[]; upstreams?: { dial: string }[]; health_checks?: { active?: { uri?: string } } };
/** Every reverse_proxy and error in `caddy adapt`'s JSON: the paths the route around it matches, and a proxy's upstreams and health check. */
function handledRoutes(config: { apps: { http: { servers: Record<string, { routes: CaddyRoute[] }> } } }) {
  const found: { handler: string; paths: string[]; upstreams: string[]; health?: string }[] = [];
  const walk = (routes: CaddyRoute[], paths: string[]) => {
    for (const route of routes) {
      const own = route.match?.flatMap((matcher) => matcher.path ?? []) ?? [];
      const within = own.length > 0 ? own : paths;
      for (const handler of route.handle ?? []) {
        if (handler.routes) walk(handler.routes, within);
        if (handler.handler === "reverse_proxy" || handler.handler === "error")
          found.push({
            handler: handler.handler,
            paths: within,
            upstreams: (handler.upstreams ?? []).map((upstream) => upstream.dial),
            health: handler.health_checks?.active?.uri,
          });
      }
    }
  };
  for (const server of Object.values(config.apps.http.servers)) walk(server.routes, []);
  return found;
}

async function run(command: string[], env: Record<string, string> = {}) {
  const child = Bun.spawn(command, { cwd: root, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { code, stdout, stderr };
}

/** What compose refuses to start the services without (`${NAME:?}`): the services' secrets and the domain. */
const requiredSecrets = [
  "USER_CLIENT_SECRET",
  "NOTIFICATION_CLIENT_SECRET",
  "AI_CLIENT_SECRET",
  "FILE_SIGNING_SECRET",
  "NOTIFICATION_UNSUBSCRIBE_SECRET",
  "AUTH_KEY_ENCRYPTION_SECRET",
  "LODGE_DOMAIN",
];
describe("the list of services (@lodge/services)", () => {
  test("has one entry per folder under apps/, each with its main.ts, and well-formed names, ports and prefixes", () => {
    const folders = [...new Bun.Glob("apps/*/package.json").scanSync({ cwd: root })].map((path) => path.split("/")[1] as string).sort();
    expect({ "apps/": folders }).toEqual({ "apps/": apps.map((app) => app.name).sort() });
    for (const app of apps) {
      expect({ service: app.name, main: existsSync(join(root, `apps/${app.name}/src/main.ts`)) }).toEqual({ service: app.name, main: true });
      // The name also makes environment names (<NAME>_UPSTREAMS) and compose slot names.
      expect(app.name).toMatch(/^[a-z]+$/);
      expect(app.prefixes.length).toBeGreaterThan(0);
      for (const prefix of app.prefixes) expect(prefix).toMatch(/^\/[a-z.][a-z0-9./_-]*[a-z0-9]$/);
    }
    const ports = apps.map((app) => app.port);
    expect(new Set(ports).size).toBe(ports.length);
    // No prefix lies under another service's: each path has one owner.
    const prefixes = apps.flatMap((app) => app.prefixes.map((prefix) => ({ service: app.name, prefix })));
    for (const a of prefixes)
      for (const b of prefixes)
        if (a !== b) expect({ a, b, nested: a.prefix === b.prefix || a.prefix.startsWith(`${b.prefix}/`) }).toMatchObject({ nested: false });
  });
});

describe("compose.yaml", () => {
  test("parses, with postgres, redis, migrate, caddy and two slots each of every listed service", () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(["postgres", "redis", "migrate", "caddy", "auth-a", "auth-b", "user-a", "user-b", "file-a", "file-b"]),
    );
    for (const app of apps)
      expect({ service: app.name, slots: slotsOf(app.name).map(([name]) => name) }).toEqual({ service: app.name, slots: [`${app.name}-a`, `${app.name}-b`] });
  });

  test("runs no service that @lodge/services does not list", () => {
    const unlisted = services.filter(([, service]) => runsApp(service) && !apps.some((app) => runs(app.name)(service))).map(([name]) => name);
    expect({ unlisted, fix: "add the service to packages/services/src/index.ts" }).toEqual({ unlisted: [], fix: expect.any(String) });
  });

  test("both slots of a service are the same definition, listening on the service's port", () => {
    const caddyNetworks = (compose.services.caddy?.networks ?? {}) as Record<string, { ipv4_address?: string }>;
    for (const app of apps) {
      const [a, b] = slotsOf(app.name).map(([, slot]) => slot);
      expect({ service: app.name, slots: [a, b].filter(Boolean).length }).toEqual({ service: app.name, slots: 2 });
      expect(a).toEqual(b);
      expect(environmentOf(a).PORT).toBe(String(app.port));
      expect(environmentOf(a).HOST).toBe("0.0.0.0");
      expect(environmentOf(a).NODE_ENV).toBe("production");
      // Caddy's fixed address on `backend` is the one peer whose X-Forwarded-For is believed.
      expect(environmentOf(a).TRUSTED_PROXIES).toBe(caddyNetworks.backend?.ipv4_address as string);
      expect((a as { stop_grace_period?: string }).stop_grace_period).toBe("30s");
    }
  });

  test("every depends_on names a defined service", () => {
    for (const [name, service] of services) {
      for (const dependency of keysOf(service.depends_on))
        expect({ service: name, dependency, defined: dependency in compose.services }).toMatchObject({ defined: true });
    }
  });

  test("the apps wait for a successful migrate, and migrate waits for a healthy postgres", () => {
    for (const [, service] of services.filter(([, service]) => runsApp(service))) {
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

  test("both file slots keep local storage in one named volume, mounted where FILE_STORAGE_DIR points", () => {
    for (const [name, service] of slotsOf("file")) {
      const directory = environmentOf(service).FILE_STORAGE_DIR as string;
      expect({ slot: name, directory }).toMatchObject({ directory: expect.stringMatching(/^\//) });
      expect(service.volumes).toContain(`file_data:${directory}`);
    }
    expect(compose.volumes).toHaveProperty("file_data");
    // The image creates the mount point for its unprivileged user, so a fresh volume is writable.
    expect(read("deploy/Dockerfile")).toContain(`chown bun:bun ${environmentOf(compose.services["file-a"]).FILE_STORAGE_DIR}`);
    for (const app of apps.filter((app) => app.name !== "file")) for (const [, service] of slotsOf(app.name)) expect(service.volumes ?? []).toEqual([]);
  });

  test("every network used is declared, and the backend network is internal", () => {
    for (const [name, service] of services) {
      for (const network of keysOf(service.networks))
        expect({ service: name, network, declared: network in (compose.networks ?? {}) }).toMatchObject({ declared: true });
    }
    expect(compose.networks?.backend).toMatchObject({ internal: true });
  });

  test("the slots live on the internal network; only the file (S3), notification (SMTP, push), ai (providers) and bot (Telegram) slots also reach out, on a network Caddy is not on", () => {
    for (const app of apps) {
      for (const [name, service] of slotsOf(app.name)) {
        const expected = ["file", "notification", "ai", "bot"].includes(app.name) ? ["backend", "egress"] : ["backend"];
        expect({ slot: name, networks: keysOf(service.networks) }).toEqual({ slot: name, networks: expected });
      }
    }
    expect((compose.networks?.egress as { internal?: boolean } | null)?.internal).toBeFalsy();
    // Caddy and the file slots share `backend` alone, so Caddy always reaches them from its TRUSTED_PROXIES address.
    expect(keysOf(compose.services.caddy?.networks)).not.toContain("egress");
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
    expect(composeText).toMatch(/USER_CLIENT_SECRET: \$\{USER_CLIENT_SECRET:\?/);
    expect(composeText).toMatch(/NOTIFICATION_CLIENT_SECRET: \$\{NOTIFICATION_CLIENT_SECRET:\?/);
    expect(composeText).toMatch(/AI_CLIENT_SECRET: \$\{AI_CLIENT_SECRET:\?/);
    expect(composeText).toMatch(/FILE_SIGNING_SECRET: \$\{FILE_SIGNING_SECRET:\?/);
    expect(composeText).toMatch(/NOTIFICATION_UNSUBSCRIBE_SECRET: \$\{NOTIFICATION_UNSUBSCRIBE_SECRET:\?/);
    expect(composeText).toMatch(/AUTH_KEY_ENCRYPTION_SECRET: \$\{AUTH_KEY_ENCRYPTION_SECRET:\?/);
    expect(composeText).not.toMatch(/SECRET[:=]\s*["']?[A-Za-z0-9]{6,}/);
    // A .env without them does not start.
    for (const name of requiredSecrets) {
      const { [name]: _missing, ...rest } = dotEnv;
      const slots = services.filter(([, service]) => runsApp(service) && JSON.stringify(service.environment ?? {}).includes(`\${${name}:?`));
      expect({ name, slots: slots.length > 0 }).toEqual({ name, slots: true });
      for (const [, service] of slots) expect(() => processEnv(service, rest)).toThrow(name);
    }
    expect(composeText).not.toMatch(/PASSWORD[:=]\s*["']?[A-Za-z0-9]{6,}/);
  });

  test("every long-running service has a restart policy; migrate is the one-shot", () => {
    for (const [name, service] of services) {
      if (name === "migrate") expect(service.restart).toBe("no");
      else expect({ service: name, restart: service.restart }).toMatchObject({ restart: expect.stringMatching(/^(always|unless-stopped|on-failure)/) });
    }
  });

  test("postgres, redis and every service slot have a healthcheck; the slots' ask their own /ready", () => {
    for (const name of ["postgres", "redis"]) expect(compose.services[name]?.healthcheck?.test).toBeDefined();
    for (const [name, service] of services.filter(([, service]) => runsApp(service))) {
      const check = JSON.stringify(service.healthcheck?.test);
      expect({ slot: name, check }).toMatchObject({ check: expect.stringContaining(operationsPaths.ready) });
      // The port comes from the slot's own PORT, so one healthcheck serves every service.
      expect(check).toContain("process.env.PORT");
      expect(environmentOf(service).PORT).toBeDefined();
    }
  });

  test("only Caddy publishes ports to the world; nothing else does beyond loopback", () => {
    expect(compose.services.caddy?.ports).toEqual(expect.arrayContaining(["80:80", "443:443"]));
    for (const [name, service] of services) {
      if (name === "caddy") continue;
      for (const port of service.ports ?? []) expect({ service: name, port }).toMatchObject({ port: expect.stringMatching(/^127\.0\.0\.1:/) });
    }
  });

  test("the Bun services run the one image built from deploy/Dockerfile", () => {
    for (const [, service] of services.filter(([name, service]) => runsApp(service) || name === "migrate")) {
      expect(service.build?.dockerfile).toBe("deploy/Dockerfile");
      // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's interpolation syntax, not a template
      expect(service.image).toBe("${LODGE_IMAGE:-lodge:current}");
    }
    const dockerfile = read("deploy/Dockerfile");
    expect(dockerfile).toMatch(/^FROM oven\/bun/m);
    expect(dockerfile).toContain("bun install --frozen-lockfile --production");
    expect(dockerfile).toMatch(/^USER (?!root)\S+/m);
  });

  test("each slot's environment in compose names only variables its service's schema knows", () => {
    for (const app of apps) {
      for (const [name, service] of slotsOf(app.name)) {
        expect({ slot: name, unknown: keysOf(service.environment).filter((variable) => !(app.variables as readonly string[]).includes(variable)) }).toEqual({
          slot: name,
          unknown: [],
        });
        expect(service.env_file).toBe(".env");
      }
    }
  });

  test("with a filled-in .env, every slot's environment passes its service's schema, in production", () => {
    for (const app of apps) {
      for (const [name, service] of slotsOf(app.name)) {
        const result = app.env.safeParse(processEnv(service));
        expect({ slot: name, issues: result.error?.issues ?? [] }).toEqual({ slot: name, issues: [] });
      }
    }
    const file = fileEnv.parse(processEnv(compose.services["file-a"]));
    expect(file.NODE_ENV).toBe("production");
    expect(file.FILE_SIGNING_SECRET).toBe(dotEnv.FILE_SIGNING_SECRET as string);
    expect(file.FILE_PUBLIC_URL).toBe("https://api.example.com");
    expect(userEnv.parse(processEnv(compose.services["user-a"])).PUBLIC_BASE_URL).toBe("https://api.example.com");
    const notification = notificationEnv.parse(processEnv(compose.services["notification-a"]));
    expect(notification.NOTIFICATION_PUBLIC_URL).toBe("https://api.example.com");
    expect(notification.NOTIFICATION_UNSUBSCRIBE_SECRET).toBe(dotEnv.NOTIFICATION_UNSUBSCRIBE_SECRET as string);
  });

  test("auth's AUTH_CLIENTS carries each service's client with the scopes @lodge/services gives it, plus AUTH_EXTRA_CLIENTS", () => {
    const withClients = apps.flatMap((app) => ("client" in app ? [{ name: app.name, client: app.client }] : []));
    expect(withClients.map(({ name }) => name)).toContain("user");
    const user = userEnv.parse(processEnv(compose.services["user-a"]));
    expect(withClients.find(({ name }) => name === "user")?.client.scopes).toEqual([
      "auth:verify_password",
      "users:export",
      "files:write",
      "files:export",
      "notifications:export",
      "ai:export",
      "analytics:export",
      "bot:export",
    ]);
    for (const env of [dotEnv, { ...dotEnv, AUTH_EXTRA_CLIENTS: `bot:${"e".repeat(32)}:users:read;admin-tool:${"f".repeat(32)}:users:read users:write` }]) {
      const auth = authEnv.parse(processEnv(compose.services["auth-a"], env));
      for (const { name, client } of withClients) {
        // The slot's own <NAME>_CLIENT_ID/<NAME>_CLIENT_SECRET, defaulting to the list's id.
        const slot = processEnv(compose.services[`${name}-a`], env);
        const id = slot[`${name.toUpperCase()}_CLIENT_ID`];
        const entry = auth.AUTH_CLIENTS.find((candidate) => candidate.clientId === id);
        expect({ service: name, id, entry }).toEqual({
          service: name,
          id: client.id,
          entry: { clientId: client.id, secret: slot[`${name.toUpperCase()}_CLIENT_SECRET`] as string, scopes: [...client.scopes] },
        });
      }
      expect(user.USER_CLIENT_ID).toBe("user-service");
      expect(auth.AUTH_CLIENTS.map((entry) => entry.clientId)).toEqual([
        ...withClients.map(({ client }) => client.id),
        ...(env.AUTH_EXTRA_CLIENTS ? ["bot", "admin-tool"] : []),
      ]);
    }
    // The client id may be changed in .env; both sides follow.
    const renamed = { ...dotEnv, USER_CLIENT_ID: "profiles" };
    expect(authEnv.parse(processEnv(compose.services["auth-b"], renamed)).AUTH_CLIENTS[0]?.clientId).toBe("profiles");
    expect(userEnv.parse(processEnv(compose.services["user-b"], renamed)).USER_CLIENT_ID).toBe("profiles");
  });

  test("services reach each other and JWKS through Caddy's internal listener, which is not published", () => {
    const caddy = environmentOf(compose.services.caddy);
    const internal = `http://caddy:${caddy.CADDY_INTERNAL_PORT}`;
    expect(caddy.CADDY_INTERNAL_PORT).toMatch(/^\d+$/);
    const user = userEnv.parse(processEnv(compose.services["user-a"]));
    expect({ auth: user.AUTH_URL, file: user.FILE_URL, jwks: user.JWKS_URL }).toEqual({
      auth: internal,
      file: internal,
      jwks: `${internal}/.well-known/jwks.json`,
    });
    expect(fileEnv.parse(processEnv(compose.services["file-a"])).JWKS_URL).toBe(`${internal}/.well-known/jwks.json`);
    // Any slot's URL of a listed service (<NAME>_URL) and its JWKS_URL go through the internal listener.
    for (const [slot, service] of services.filter(([, service]) => runsApp(service))) {
      const env = processEnv(service);
      for (const app of apps) {
        const variable = `${app.name.toUpperCase()}_URL`;
        if (variable in environmentOf(service)) expect({ slot, variable, value: env[variable] }).toEqual({ slot, variable, value: internal });
      }
      if ("JWKS_URL" in environmentOf(service)) expect({ slot, jwks: env.JWKS_URL }).toEqual({ slot, jwks: `${internal}/.well-known/jwks.json` });
    }
    expect((compose.services.caddy?.ports ?? []).some((port) => port.includes(caddy.CADDY_INTERNAL_PORT as string))).toBe(false);
  });

  test("Caddy's upstream lists name both slots of every service, as the Caddyfile's defaults do", () => {
    const caddy = environmentOf(compose.services.caddy);
    const caddyfile = read("Caddyfile");
    for (const app of apps) {
      const name = `${app.name.toUpperCase()}_UPSTREAMS`;
      const slots = `${app.name}-a:${app.port} ${app.name}-b:${app.port}`;
      expect({ name, value: caddy[name] }).toEqual({ name, value: slots });
      // A reload of a new Caddyfile works before the Caddy container is recreated with new env.
      expect(caddyfile).toContain(`{$${name}:${slots}}`);
    }
    expect(caddyfile).toContain(`{$CADDY_INTERNAL_PORT:${caddy.CADDY_INTERNAL_PORT}}`);
  });
});

describe(".env.example", () => {
  test("documents every variable of every service's env schema", () => {
    for (const app of apps) expect({ app: app.name, missing: app.variables.filter((name) => !documented.has(name)) }).toEqual({ app: app.name, missing: [] });
  });

  test("documents each variable once; the secrets compose requires are listed to be filled in", () => {
    const names = [...read(".env.example").matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1] as string);
    expect(names.filter((name, index) => names.indexOf(name) !== index)).toEqual([]);
    for (const name of ["POSTGRES_PASSWORD", "REDIS_PASSWORD", ...requiredSecrets, "APP_URL", "SMTP_URL"])
      expect(read(".env.example")).toMatch(new RegExp(`^${name}=`, "m"));
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

  test("routes each service's public prefixes, and only those, to both of its slots on its port, health-checked on its /ready; refuses /health, /ready and /metrics", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "lodge-caddy-"));
    const adapt = async (env: Record<string, string>) => {
      const result = await run(["caddy", "adapt", "--adapter", "caddyfile", "--config", "Caddyfile"], {
        HOME: scratch,
        XDG_CONFIG_HOME: join(scratch, "config"),
        XDG_DATA_HOME: join(scratch, "data"),
        LODGE_DOMAIN: "lodge.example.com",
        ...env,
      });
      expect({ code: result.code, output: result.stderr.slice(-2000) }).toMatchObject({ code: 0 });
      return handledRoutes(JSON.parse(result.stdout));
    };
    try {
      // With the production defaults: one route per service on each site (public and internal).
      const handled = await adapt({});
      const routes = handled.filter((route) => route.handler === "reverse_proxy");
      expect(routes.length).toBeGreaterThan(0);
      // /health, /ready and /metrics stay on the services' own ports: refused on both sites.
      for (const path of Object.values(operationsPaths)) {
        const refused = handled.filter((route) => route.handler === "error" && route.paths.includes(path)).length;
        expect({ path, refusedOnSites: refused }).toEqual({ path, refusedOnSites: 2 });
      }
      for (const route of routes) {
        const app = apps.find((candidate) => route.upstreams.every((upstream) => new RegExp(`^${candidate.name}-[ab]:`).test(upstream)));
        expect({ route: route.paths, service: app?.name ?? "none of @lodge/services" }).toMatchObject({ service: expect.stringMatching(/^[a-z]+$/) });
      }
      for (const app of apps) {
        const own = routes.filter((route) => route.upstreams.some((upstream) => upstream.startsWith(`${app.name}-`)));
        const expected = {
          paths: [...app.prefixes].sort(),
          upstreams: [`${app.name}-a:${app.port}`, `${app.name}-b:${app.port}`],
          health: operationsPaths.ready,
        };
        // One route on the public site and one on the internal one.
        expect({ service: app.name, routesInCaddyfile: own.length }).toEqual({ service: app.name, routesInCaddyfile: 2 });
        // `path /p /p/*`: a prefix and everything under it (a prefix that names a file may leave out the `/*`).
        for (const route of own) {
          const paths = [...new Set(route.paths.map((path) => path.replace(/\/\*$/, "")))].sort();
          expect({ service: app.name, paths, upstreams: route.upstreams, health: route.health }).toEqual({ service: app.name, ...expected });
          for (const prefix of app.prefixes)
            expect({ service: app.name, paths: route.paths }).toEqual({ service: app.name, paths: expect.arrayContaining([prefix]) });
        }
      }
      // The upstream lists come from <NAME>_UPSTREAMS (what compose.yaml and the end-to-end stack set).
      const marked = (await adapt(Object.fromEntries(apps.map((app) => [`${app.name.toUpperCase()}_UPSTREAMS`, `${app.name}-marked:1`])))).filter(
        (route) => route.handler === "reverse_proxy",
      );
      for (const app of apps) {
        const upstreams = marked.filter((route) => route.upstreams.includes(`${app.name}-marked:1`)).length;
        expect({ variable: `${app.name.toUpperCase()}_UPSTREAMS`, routes: upstreams }).toEqual({ variable: `${app.name.toUpperCase()}_UPSTREAMS`, routes: 2 });
      }
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

  test("rollout.sh rolls every service of @lodge/services (which has slots in compose.yaml) in the list's order, auth first", () => {
    const rolled = read("deploy/rollout.sh")
      .match(/^readonly SERVICES=\(([^)]*)\)$/m)?.[1]
      ?.trim()
      .split(/\s+/);
    expect(rolled?.[0]).toBe("auth");
    expect({ "deploy/rollout.sh SERVICES": rolled }).toEqual({ "deploy/rollout.sh SERVICES": apps.map((app) => app.name) });
  });

  test("prometheus.yml scrapes every slot of every service on its own port, one job per service, and loads alerts.yml", () => {
    const config = parse(read("deploy/prometheus.yml")) as {
      rule_files: string[];
      scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
    };
    expect(config.rule_files).toContain("alerts.yml");
    expect(existsSync(join(root, "deploy/alerts.yml"))).toBe(true);
    const targets = config.scrape_configs.flatMap((job) => job.static_configs.flatMap((group) => group.targets));
    for (const app of apps) {
      const job = config.scrape_configs.find((entry) => entry.job_name === app.name);
      expect({ job: app.name, targets: job?.static_configs.flatMap((group) => group.targets) }).toEqual({
        job: app.name,
        targets: [`${app.name}-a:${app.port}`, `${app.name}-b:${app.port}`],
      });
    }
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
      // And the readiness alerts fire as intended on sample series.
      const unit = await run(["promtool", "test", "rules", "test/deploy/alerts.promtool.yml"]);
      expect({ code: unit.code, output: unit.stdout + unit.stderr }).toMatchObject({ code: 0 });
    }
    // Every service's job is covered: the rules select jobs by exclusion (job!="prometheus"), never by naming some.
    for (const rule of rules) {
      for (const [, operator, value] of rule.expr.matchAll(/\bjob\s*(=~|!~|!=|=)\s*"([^"]*)"/g)) {
        for (const app of apps) {
          const matches = operator?.startsWith("=") ? new RegExp(`^(?:${value})$`).test(app.name) : !new RegExp(`^(?:${value})$`).test(app.name);
          expect({ alert: rule.alert, job: app.name, matches }).toEqual({ alert: rule.alert, job: app.name, matches: true });
        }
      }
    }
    const byJob = rules.filter((rule) => /\bby \(job\b/.test(rule.expr)).map((rule) => rule.alert);
    expect(byJob).toEqual(expect.arrayContaining(["ServiceDown", "ServiceNotReady"]));
    const exprs = rules.map((rule) => rule.expr).join("\n");
    for (const metric of [
      "up",
      "http_request_duration_seconds_count",
      "http_request_duration_seconds_bucket",
      "events_consumer_lag",
      "events_pending",
      "events_oldest_retry_age_seconds",
      "events_dead_letters",
      "queue_jobs",
      "revocation_watch_caught_up",
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
