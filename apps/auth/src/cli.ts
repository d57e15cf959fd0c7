/**
 * Operator commands (run where DATABASE_URL and REDIS_URL point at production, e.g. inside the
 * auth container):
 *   bun run admin:create <email> [name]      password from ADMIN_PASSWORD or the first line of stdin
 *   bun run keys:rotate                      adds a signing key; it signs once published for 30 s
 *   bun run client:create <clientId> <name> [scope ...]   prints the client secret once
 */
import { loadEnv } from "@lodge/config";
import { createLogger } from "@lodge/kit";
import { z } from "zod";
import { authEnv } from "./env";
import { startAuthService } from "./service";
import { createAdmin } from "./services/create-admin";
import { registerClient } from "./services/register-client";

const [command, ...args] = process.argv.slice(2);
const usage = "usage: cli.ts admin:create <email> [name] | keys:rotate | client:create <clientId> <name> [scope ...]";

async function readPassword(): Promise<string> {
  if (process.env.ADMIN_PASSWORD) return process.env.ADMIN_PASSWORD;
  if (process.stdin.isTTY) return prompt("Password (10 to 256 characters):") ?? "";
  for await (const line of console) return line;
  return "";
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

if (!command || !["admin:create", "keys:rotate", "client:create"].includes(command)) fail(usage);

const env = loadEnv(authEnv);
const logger = createLogger({ service: "auth-cli", level: "warn" });
const service = await startAuthService({ env, logger, maintenance: false });
const ctx = { deps: service.deps, logger };

try {
  if (command === "admin:create") {
    const email = z.email().max(254).safeParse(args[0]);
    if (!email.success) fail("admin:create needs a valid email");
    const password = await readPassword();
    if (password.length < 10 || password.length > 256) fail("the password must be 10 to 256 characters");
    const result = await createAdmin({ ctx, input: { email: email.data, password, name: args[1] } });
    console.log(result.created ? `admin ${email.data} created (${result.userId})` : `${email.data} is now an admin (password unchanged)`);
  } else if (command === "keys:rotate") {
    const kid = await service.deps.keys.rotate();
    console.log(
      `new signing key ${kid}: published now, signs in ${service.deps.config.keyPublishDelaySeconds} s; the previous key stays published until its tokens expire`,
    );
  } else {
    const [clientId, name, ...scopes] = args;
    if (!clientId || !/^[\w.-]{3,128}$/.test(clientId) || !name) fail("client:create needs <clientId> (letters, digits, . _ -) and <name>");
    const client = await registerClient({ ctx, input: { clientId, name, scopes } });
    console.log(JSON.stringify(client, null, 2));
    console.log("Store the secret now: it is not shown again.");
  }
  await service.deps.outbox.drain();
} finally {
  await service.close();
}
process.exit(0);
