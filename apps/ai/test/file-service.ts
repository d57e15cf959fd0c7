import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAuthService } from "@lodge/auth";
import { authEnv } from "@lodge/auth/env";
import { parseEnv } from "@lodge/config";
import type { createTestDatabase } from "@lodge/db/testing";
import { startFileService } from "@lodge/file";
import { fileEnv } from "@lodge/file/env";
import { createLogger, type Redis } from "@lodge/kit";

const AI_CLIENT_SECRET = "ai-service-test-secret-0123456789abcdef";

/**
 * The real auth service (which gives the AI service its client token) and the real file service
 * (where generated images are stored as the user's files), on the AI service's test database and
 * Redis prefix, each on a random port. `env` is what the AI service needs to reach them. The
 * file quota is 10 000 bytes.
 */
export async function startFileServices(options: { database: Awaited<ReturnType<typeof createTestDatabase>>; redis: Redis; prefix: string }) {
  const { database, redis } = options;
  const logger = (service: string) => createLogger({ service, level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const common = { DATABASE_URL: database.url, REDIS_URL: "redis://127.0.0.1:6379", REDIS_PREFIX: options.prefix, LOG_LEVEL: "silent" };

  const auth = await startAuthService({
    env: parseEnv(authEnv, { ...common, AUTH_COOKIE_SECURE: "false", AUTH_CLIENTS: `ai-service:${AI_CLIENT_SECRET}:files:write` }),
    database,
    redis,
    maintenance: false,
    logger: logger("auth"),
  });
  const authServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: auth.app.fetch });
  const authUrl = `http://127.0.0.1:${authServer.port}`;

  const directory = await mkdtemp(join(tmpdir(), "lodge-ai-files-"));
  const file = await startFileService({
    env: parseEnv(fileEnv, {
      ...common,
      JWKS_URL: `${authUrl}/.well-known/jwks.json`,
      FILE_STORAGE_DIR: directory,
      FILE_SIGNING_SECRET: "ai-test-signing-secret-0123456789abcdef",
      FILE_QUOTA_BYTES: "10000",
    }),
    database,
    redis,
    jobs: false,
    logger: logger("file"),
  });
  const fileServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: file.app.fetch });

  return {
    env: { AUTH_URL: authUrl, FILE_URL: `http://127.0.0.1:${fileServer.port}`, AI_CLIENT_SECRET },
    close: async () => {
      await fileServer.stop(true);
      await file.close();
      await authServer.stop(true);
      await auth.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
