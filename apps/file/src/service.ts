import { fileOutbox } from "@lodge/db/schema";
import { defineService, type StartOptions, startService } from "@lodge/kit";
import { fileConfigFromEnv, requestBodyCap } from "./config";
import type { FileDeps } from "./deps";
import { type FileEnv, fileEnv } from "./env";
import { consumers } from "./events/index";
import { createCaches } from "./helpers/caches";
import { createRenderGate } from "./helpers/render-gate";
import { configureRendering } from "./helpers/rendering";
import { createStorage, type Storage } from "./helpers/storage/index";
import { fileHttp } from "./http";
import { jobs } from "./jobs/index";
import { createProcessingQueue } from "./jobs/processing";
import { exportRoutes } from "./routes/files/export";
import { fileRoutes } from "./routes/files/index";
import { uploadRoutes } from "./routes/uploads/index";

export type FileServiceOptions = StartOptions<FileEnv> & {
  /** Instead of the one FILE_STORAGE_* describes. */
  storage?: Storage;
  /** Run the thumbnail worker and the upload cleanup scheduler (off in tests that drive them by hand). */
  jobs?: boolean;
};

export function storageFromEnv(env: FileEnv): Promise<Storage> {
  return env.FILE_STORAGE_DRIVER === "local"
    ? createStorage({ driver: "local", directory: env.FILE_STORAGE_DIR })
    : createStorage({
        driver: "s3",
        endpoint: env.FILE_S3_ENDPOINT as string,
        bucket: env.FILE_S3_BUCKET as string,
        region: env.FILE_S3_REGION,
        accessKeyId: env.FILE_S3_ACCESS_KEY_ID as string,
        secretAccessKey: env.FILE_S3_SECRET_ACCESS_KEY as string,
        virtualHostedStyle: env.FILE_S3_VIRTUAL_HOSTED_STYLE,
      });
}

export const fileService = defineService<FileEnv, FileDeps, { storage?: Storage; jobs?: boolean }>({
  name: "file",
  env: fileEnv,
  openApi: {
    prefix: "/files",
    title: "Lodge files",
    description:
      "Uploads (direct and tus), image variants, signed URLs. Service clients with `files:write` store files for a user (`X-Lodge-User`), under that user's quota.",
  },
  outbox: fileOutbox,
  tokens: "jwks",
  build: async (base, options) => {
    const config = fileConfigFromEnv(options.env);
    configureRendering();
    return {
      storage: options.storage ?? (await storageFromEnv(options.env)),
      caches: createCaches({ metadataMs: config.metadataCacheMs, variantBytes: config.variantCacheBytes }),
      renders: createRenderGate({ concurrency: config.renders.concurrency, queue: config.renders.queue, metrics: base.metrics }),
      processing: options.jobs === false ? undefined : createProcessingQueue(base.jobsConnection),
      config,
    };
  },
  // The export first: `export` is a literal segment where /files/{id}/... take any.
  routes: (deps) => [exportRoutes(deps), uploadRoutes(deps), fileRoutes(deps)],
  consumers,
  jobs,
  ready: (deps) => ({ storage: () => deps.storage.check() }),
  http: fileHttp,
  // Uploads stream under FILE_MAX_SIZE_BYTES (checked while reading); Bun's own cap sits above it.
  maxRequestBodySize: (env) => requestBodyCap(env.FILE_MAX_SIZE_BYTES),
});

/** Builds every dependency once, starts the background parts, and returns the app, its deps and a close(). */
export const startFileService = (options: FileServiceOptions) => startService(fileService, options);
