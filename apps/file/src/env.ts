import { fragments, serviceEnv, z } from "@lodge/config";
import { serviceNamed } from "@lodge/services";
import { parsePreset } from "./helpers/variant-params";

const MiB = 1024 * 1024;
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const DEV_SIGNING_SECRET = "lodge-development-signing-secret-not-for-production";

/** What an upload may be (sniffed from the bytes). HTML, SVG and XML are stored but only ever served as attachments. */
export const defaultAllowedTypes = [
  "image/jpeg",
  "image/png",
  "image/gif",
  "image/webp",
  "image/avif",
  "image/svg+xml",
  "application/pdf",
  "text/plain",
  "text/csv",
  "text/markdown",
  "application/json",
  "application/zip",
  "video/mp4",
  "video/webm",
  "video/quicktime",
  "audio/mpeg",
  "audio/ogg",
  "audio/wav",
  "audio/x-m4a",
];

export const fileEnv = serviceEnv
  .extend({
    PORT: z.coerce.number().int().default(serviceNamed("file").port),
    /** `local` (a directory) or `s3` (any S3-compatible store: Hetzner Object Storage, MinIO, AWS). */
    FILE_STORAGE_DRIVER: z.enum(["local", "s3"]).default("local"),
    FILE_STORAGE_DIR: z.string().min(1).default(".data/files"),
    FILE_S3_ENDPOINT: z.url().optional(),
    FILE_S3_BUCKET: z.string().min(1).optional(),
    FILE_S3_REGION: z.string().min(1).default("us-east-1"),
    FILE_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    FILE_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    FILE_S3_VIRTUAL_HOSTED_STYLE: fragments.bool,
    /** Largest file, by POST /files or tus; 413 as soon as the stream passes it. */
    FILE_MAX_SIZE_BYTES: positiveInt(25 * MiB),
    /** Total bytes of files one user may keep (uploads in progress count too). */
    FILE_QUOTA_BYTES: positiveInt(1024 * MiB),
    FILE_ALLOWED_TYPES: fragments.list(defaultAllowedTypes.join(",")),
    /** Images with more pixels are refused (decompression bombs). */
    FILE_MAX_IMAGE_PIXELS: positiveInt(50_000_000),
    /** Largest `w`/`h` of a variant. */
    FILE_MAX_VARIANT_DIMENSION: positiveInt(4096),
    /** Variants stored per file; further ones are rendered but not stored. */
    FILE_MAX_VARIANTS_PER_FILE: positiveInt(24),
    /** Renderings of uncached variants at once, per instance; more wait in a queue. */
    FILE_RENDER_CONCURRENCY: positiveInt(2),
    /** Renderings waiting for a slot, per instance; past it a rendering is refused with 503 + Retry-After. */
    FILE_RENDER_QUEUE: z.coerce.number().int().nonnegative().default(32),
    /** Uncached renderings one client (IP) may cause a minute, across instances; past it 429 + Retry-After. */
    FILE_RENDERS_PER_CLIENT_PER_MINUTE: positiveInt(120),
    /** Uncached renderings of one file a minute, whoever asks. */
    FILE_RENDERS_PER_FILE_PER_MINUTE: positiveInt(60),
    /** Presets (imgproxy's word), comma-separated, each the query that asks for it; pre-rendered on upload. */
    FILE_VARIANT_PRESETS: fragments.list("w=128&h=128&fit=cover&format=webp,w=512&h=512&fit=inside&format=webp"),
    /** Only the presets may be asked for (any other variant is a 422), so sizes cannot be enumerated. */
    FILE_VARIANTS_ONLY_PRESETS: fragments.bool,
    /** HMAC key of signed URLs (32+ characters; rotate by restarting every instance with the new one). */
    FILE_SIGNING_SECRET: z.string().min(32).optional(),
    FILE_SIGNED_URL_MAX_SECONDS: positiveInt(7 * 24 * 3600),
    /** Public origin prepended to URLs in answers (`https://api.example.com`); empty gives root-relative URLs. */
    FILE_PUBLIC_URL: z.string().default(""),
    /** A resumable upload not completed within this many hours is deleted. */
    FILE_UPLOAD_EXPIRY_HOURS: positiveInt(24),
    FILE_UPLOAD_CLEANUP_EVERY_SECONDS: positiveInt(900),
    /** Resumable uploads one user may create per window (429 + Retry-After past it). */
    FILE_UPLOAD_CREATE_MAX: positiveInt(60),
    FILE_UPLOAD_CREATE_WINDOW_SECONDS: positiveInt(60),
    /** Unfinished resumable uploads one user may hold at once (each also reserves its length of the quota). */
    FILE_MAX_OPEN_UPLOADS: positiveInt(20),
    /** How long tus termination waits for a PATCH still writing to the upload before answering 409. */
    FILE_UPLOAD_LOCK_WAIT_MS: z.coerce.number().int().nonnegative().default(5000),
    /** How often stored objects are reconciled with the rows that list them. */
    FILE_STORAGE_SWEEP_EVERY_SECONDS: positiveInt(3600),
    /** An object no row lists is deleted by the sweeper once it is this old (longer than any write takes to be recorded). */
    FILE_STORAGE_SWEEP_GRACE_SECONDS: positiveInt(24 * 3600),
    /** Memory for small rendered variants kept by each instance. */
    FILE_VARIANT_CACHE_BYTES: z.coerce
      .number()
      .int()
      .nonnegative()
      .default(32 * MiB),
    /** How long an instance trusts its cached copy of a file's metadata (deletes and the public flag reach other instances within it). */
    FILE_METADATA_CACHE_MS: z.coerce.number().int().nonnegative().default(2000),
  })
  .superRefine((env, ctx) => {
    if (env.FILE_STORAGE_DRIVER === "s3") {
      for (const name of ["FILE_S3_ENDPOINT", "FILE_S3_BUCKET", "FILE_S3_ACCESS_KEY_ID", "FILE_S3_SECRET_ACCESS_KEY"] as const) {
        if (!env[name]) ctx.addIssue({ code: "custom", path: [name], message: "is required when FILE_STORAGE_DRIVER=s3" });
      }
    }
    for (const preset of env.FILE_VARIANT_PRESETS) {
      const parsed = parsePreset(preset, env.FILE_MAX_VARIANT_DIMENSION);
      if (typeof parsed === "string") ctx.addIssue({ code: "custom", path: ["FILE_VARIANT_PRESETS"], message: `is not a variant: ${parsed}` });
    }
    if (env.FILE_VARIANTS_ONLY_PRESETS && env.FILE_VARIANT_PRESETS.length === 0) {
      ctx.addIssue({ code: "custom", path: ["FILE_VARIANT_PRESETS"], message: "must list at least one preset when FILE_VARIANTS_ONLY_PRESETS is on" });
    }
    if (env.NODE_ENV === "production" && !env.FILE_SIGNING_SECRET) {
      ctx.addIssue({ code: "custom", path: ["FILE_SIGNING_SECRET"], message: "is required in production (32+ characters)" });
    }
  })
  .transform((env) => ({ ...env, FILE_SIGNING_SECRET: env.FILE_SIGNING_SECRET ?? DEV_SIGNING_SECRET }));

export type FileEnv = z.infer<typeof fileEnv>;
