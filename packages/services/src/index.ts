/**
 * The one list of Lodge's services. Everything that names a service, its port or its public
 * prefixes derives from it (`bun run dev`'s gateway, the end-to-end stack, the deletion saga) or is
 * checked against it by test/deploy (compose.yaml, the Caddyfile, deploy/rollout.sh,
 * deploy/prometheus.yml). Adding a service: its folder under apps/, one entry here, its
 * compose.yaml slots and its Caddyfile route. No dependencies, so every package may import it.
 */

export type ServiceEntry = {
  /**
   * The folder under apps/ (`apps/<name>/src/main.ts`), the compose slots `<name>-a` and
   * `<name>-b`, the Prometheus job, the logger's `service` label. Lowercase letters only: it also
   * makes the environment names (`<NAME>_UPSTREAMS`, `<NAME>_CLIENT_ID`, `<NAME>_URL`).
   */
  name: string;
  /** Its own port (PORT): the API for Caddy, /health, /ready and /metrics for Docker and Prometheus. */
  port: number;
  /**
   * The public paths Caddy routes to it, each with everything under it; the first is where its
   * OpenAPI document lives (`<prefix>/openapi.json`).
   */
  prefixes: readonly string[];
  /**
   * Its machine client at auth (client credentials, POST /auth/token) when it calls other services:
   * the default id and the scopes it holds. Its env names the client `<NAME>_CLIENT_ID` and
   * `<NAME>_CLIENT_SECRET`; auth's AUTH_CLIENTS carries it.
   */
  client?: { id: string; scopes: readonly string[] };
  /**
   * Holds users' data: erases it when an account is deleted (answering `user.data_erased`) and
   * contributes to the user's export.
   */
  holdsUserData: boolean;
};

/** In start and rollout order: auth first, since every other service verifies its tokens. */
export const services = [
  { name: "auth", port: 3001, prefixes: ["/auth", "/.well-known/jwks.json"], holdsUserData: true },
  {
    name: "user",
    port: 3002,
    prefixes: ["/users"],
    client: {
      id: "user-service",
      scopes: ["auth:verify_password", "users:export", "files:write", "files:export", "notifications:export", "ai:export", "analytics:export", "bot:export"],
    },
    holdsUserData: true,
  },
  { name: "file", port: 3003, prefixes: ["/files"], holdsUserData: true },
  {
    name: "notification",
    port: 3004,
    prefixes: ["/notifications"],
    // Reads a user's notification settings when its copy, kept from the user service's events, misses them.
    // POST /notifications/send takes clients with the scope `notifications:send`: no service here holds
    // it yet; an operator grants it to a client of their own through AUTH_EXTRA_CLIENTS (`id:secret:notifications:send`).
    client: { id: "notification-service", scopes: ["users:settings"] },
    holdsUserData: true,
  },
  {
    name: "ai",
    port: 3005,
    prefixes: ["/ai"],
    // Stores the images it generates as the user's files (POST /files for a user, `files:write`).
    client: { id: "ai-service", scopes: ["files:write"] },
    holdsUserData: true,
  },
  // Product events tied to users (erased with the account, part of the export); calls no other service.
  { name: "analytics", port: 3006, prefixes: ["/analytics"], holdsUserData: true },
  {
    name: "bot",
    port: 3007,
    prefixes: ["/bot"],
    // A linked chat acts as its user: the bot asks the AI service, creates reminders at the
    // notification service and reads and writes preferences at the user service for that user.
    client: { id: "bot-service", scopes: ["ai:invoke", "notifications:reminders", "users:preferences", "users:settings"] },
    holdsUserData: true,
  },
] as const satisfies readonly ServiceEntry[];

export type ServiceName = (typeof services)[number]["name"];

type ErasingService = Extract<(typeof services)[number], { holdsUserData: true }>["name"];

/** The services that must erase a user's data, and confirm it, before an account deletion is complete. */
export const erasingServices = services.filter((service) => service.holdsUserData).map((service) => service.name) as [ErasingService, ...ErasingService[]];

/** Paths every service answers on its own port and that are never routed publicly. */
export const operationsPaths = { health: "/health", ready: "/ready", metrics: "/metrics" } as const;

export function serviceNamed(name: ServiceName): ServiceEntry {
  return services.find((service) => service.name === name) as ServiceEntry;
}

/** `<NAME>_<suffix>`: the environment name of a per-service setting (`USER_CLIENT_ID`, `FILE_UPSTREAMS`). */
export function envName(name: ServiceName | string, suffix: string): string {
  return `${name.toUpperCase()}_${suffix}`;
}

/** Where the service answers on this machine (its own port): the default of URLs that point at it. */
export function localUrlOf(name: ServiceName): string {
  return `http://127.0.0.1:${serviceNamed(name).port}`;
}

export type MachineClient = { service: ServiceName; id: string; secret: string; scopes: readonly string[] };

/** The machine clients of the services (or of those `among` them) the list gives one, with secrets from `secret()`: for local runs (dev, end-to-end). */
export function machineClients(secret: () => string, among?: readonly ServiceName[]): MachineClient[] {
  return services.flatMap((service) =>
    "client" in service && (among ?? [service.name]).includes(service.name)
      ? [{ service: service.name, id: service.client.id, secret: secret(), scopes: service.client.scopes }]
      : [],
  );
}

/** How clients are configured, as compose.yaml does it: auth's AUTH_CLIENTS entries and each service's <NAME>_CLIENT_ID/<NAME>_CLIENT_SECRET. */
export function clientSettings(clients: readonly MachineClient[]): { authClients: string[]; serviceEnv: Record<string, string> } {
  return {
    authClients: clients.map((client) => `${client.id}:${client.secret}:${client.scopes.join(" ")}`),
    serviceEnv: Object.fromEntries(
      clients.flatMap((client) => [
        [envName(client.service, "CLIENT_ID"), client.id],
        [envName(client.service, "CLIENT_SECRET"), client.secret],
      ]),
    ),
  };
}

/** Whether `pathname` falls under one of the service's public prefixes (as Caddy's `path /p /p/*` matches). */
export function servesPath(service: ServiceEntry, pathname: string): boolean {
  return service.prefixes.some((prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`));
}
