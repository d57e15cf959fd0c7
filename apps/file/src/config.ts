import type { Limit } from "@lodge/kit";
import type { FileEnv } from "./env";
import { parsePreset, type Variant } from "./helpers/variant-params";

/** What the file service's code needs from the environment, in its own words. */
export type FileConfig = {
  maxSizeBytes: number;
  quotaBytes: number;
  allowedTypes: Set<string>;
  maxImagePixels: number;
  maxVariantDimension: number;
  maxVariantsPerFile: number;
  /** Pre-rendered on upload; with `onlyPresets`, the only variants served. */
  variantPresets: Variant[];
  onlyPresets: boolean;
  renders: { concurrency: number; queue: number; perClient: Limit; perFile: Limit };
  signingSecret: string;
  signedUrlMaxSeconds: number;
  publicUrl: string;
  uploadExpiryMs: number;
  uploadCleanupEveryMs: number;
  uploadCreateLimit: { max: number; windowSeconds: number };
  maxOpenUploads: number;
  uploadLockWaitMs: number;
  storageSweepEveryMs: number;
  storageSweepGraceMs: number;
  variantCacheBytes: number;
  metadataCacheMs: number;
};

export function fileConfigFromEnv(env: FileEnv): FileConfig {
  return {
    maxSizeBytes: env.FILE_MAX_SIZE_BYTES,
    quotaBytes: env.FILE_QUOTA_BYTES,
    allowedTypes: new Set(env.FILE_ALLOWED_TYPES.map((type) => type.toLowerCase())),
    maxImagePixels: env.FILE_MAX_IMAGE_PIXELS,
    maxVariantDimension: env.FILE_MAX_VARIANT_DIMENSION,
    maxVariantsPerFile: env.FILE_MAX_VARIANTS_PER_FILE,
    // Checked by the env schema: every preset parses.
    variantPresets: env.FILE_VARIANT_PRESETS.map((preset) => parsePreset(preset, env.FILE_MAX_VARIANT_DIMENSION) as Variant),
    onlyPresets: env.FILE_VARIANTS_ONLY_PRESETS,
    renders: {
      concurrency: env.FILE_RENDER_CONCURRENCY,
      queue: env.FILE_RENDER_QUEUE,
      perClient: { max: env.FILE_RENDERS_PER_CLIENT_PER_MINUTE, windowSeconds: 60 },
      perFile: { max: env.FILE_RENDERS_PER_FILE_PER_MINUTE, windowSeconds: 60 },
    },
    signingSecret: env.FILE_SIGNING_SECRET,
    signedUrlMaxSeconds: env.FILE_SIGNED_URL_MAX_SECONDS,
    publicUrl: env.FILE_PUBLIC_URL.replace(/\/+$/, ""),
    uploadExpiryMs: env.FILE_UPLOAD_EXPIRY_HOURS * 3600_000,
    uploadCleanupEveryMs: env.FILE_UPLOAD_CLEANUP_EVERY_SECONDS * 1000,
    uploadCreateLimit: { max: env.FILE_UPLOAD_CREATE_MAX, windowSeconds: env.FILE_UPLOAD_CREATE_WINDOW_SECONDS },
    maxOpenUploads: env.FILE_MAX_OPEN_UPLOADS,
    uploadLockWaitMs: env.FILE_UPLOAD_LOCK_WAIT_MS,
    storageSweepEveryMs: env.FILE_STORAGE_SWEEP_EVERY_SECONDS * 1000,
    storageSweepGraceMs: env.FILE_STORAGE_SWEEP_GRACE_SECONDS * 1000,
    variantCacheBytes: env.FILE_VARIANT_CACHE_BYTES,
    metadataCacheMs: env.FILE_METADATA_CACHE_MS,
  };
}

/**
 * Bun's own cap on a request body (it answers an empty 413 past it): above the file limit by
 * multipart framing plus what is drained after an early refusal (see services/drain.ts).
 */
export function requestBodyCap(maxSizeBytes: number) {
  return maxSizeBytes + 16 * 1024 * 1024;
}
