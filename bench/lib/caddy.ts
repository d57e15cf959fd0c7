/**
 * The repository's Caddyfile run by a real `caddy run` in front of processes of the bench, as the
 * end-to-end tests run it: only the site address, the internal port, the admin address and the
 * upstream lists change (`upstreams`: `<NAME>_UPSTREAMS` → `127.0.0.1:<port>`; services not named
 * point where nothing listens). Its access log goes nowhere (a full pipe would stall it).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envName, services } from "@lodge/services";
import { freePort } from "./processes";
import { root } from "./settings";

export async function startCaddy(options: { upstreams: Partial<Record<string, number>> }) {
  const scratch = mkdtempSync(join(tmpdir(), "lodge-bench-caddy-"));
  const port = freePort();
  const nowhere = `127.0.0.1:${freePort()}`;
  const upstreams = Object.fromEntries(
    services.map(({ name }) => {
      const upstream = options.upstreams[name];
      return [envName(name, "UPSTREAMS"), upstream ? `127.0.0.1:${upstream}` : nowhere];
    }),
  );
  const caddy = Bun.spawn(["caddy", "run", "--adapter", "caddyfile", "--config", join(root, "Caddyfile")], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: scratch,
      XDG_CONFIG_HOME: join(scratch, "config"),
      XDG_DATA_HOME: join(scratch, "data"),
      LODGE_DOMAIN: `http://127.0.0.1:${port}`,
      CADDY_INTERNAL_PORT: String(freePort()),
      CADDY_ADMIN: `127.0.0.1:${freePort()}`,
      ...upstreams,
    },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
  });
  const stop = async () => {
    caddy.kill("SIGTERM");
    await caddy.exited;
    rmSync(scratch, { recursive: true, force: true });
  };
  return { url: `http://127.0.0.1:${port}`, stop, exited: caddy.exited };
}
