import { fragments, serviceEnv, z } from "@lodge/config";
import { localUrlOf, serviceNamed } from "@lodge/services";

const baseUrl = z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, ""));
const defaultClientId = serviceNamed("ai").client?.id ?? "ai-service";
const positiveInt = z.coerce.number().int().positive();
const usd = z.coerce.number().nonnegative();

export const aiEnv = serviceEnv
  .extend({
    PORT: z.coerce.number().int().default(serviceNamed("ai").port),
    /** Where the auth service answers (this service's client token); internal, not the public origin. */
    AUTH_URL: baseUrl.default(localUrlOf("auth")),
    /** Where the file service answers (generated images are stored there as the user's files). */
    FILE_URL: baseUrl.default(localUrlOf("file")),
    /** This service's machine client at auth (its scope, files:write, is in @lodge/services). */
    AI_CLIENT_ID: z.string().min(1).max(128).default(defaultClientId),
    /** Its secret; unset, generated images are returned as the provider's URLs, not stored (required in production). */
    AI_CLIENT_SECRET: fragments.optional(z.string().min(24)),

    /** The full model registry (JSON or YAML): aliases and their deployments. Unset: simple mode from OPENAI_API_KEY. */
    AI_REGISTRY_FILE: fragments.optional(z.string().min(1)),
    /** Simple mode, and the `openai` provider's default credentials: an OpenAI-compatible API's key. */
    OPENAI_API_KEY: fragments.optional(z.string().min(1)),
    /** Its base URL (OpenAI, OpenRouter, vLLM, Ollama, a test's fake), with the version path. */
    OPENAI_BASE_URL: baseUrl.default("https://api.openai.com/v1"),
    /** The `replicate` provider's token; unset, Replicate deployments are not available. */
    REPLICATE_API_TOKEN: fragments.optional(z.string().min(1)),
    /** Replicate's API origin (a test's fake), with the version path. */
    REPLICATE_BASE_URL: baseUrl.default("https://api.replicate.com/v1"),

    /** Defaults for every user (admins override per user; keys may set lower ones). */
    AI_USER_RPM: positiveInt.default(60),
    AI_USER_TPM: positiveInt.default(200_000),
    /** Calls (streams included) one user may have running at once. */
    AI_USER_CONCURRENCY: positiveInt.default(4),
    AI_USER_DAILY_BUDGET_USD: usd.default(5),
    AI_USER_MONTHLY_BUDGET_USD: usd.default(50),
    /** API keys one user may hold at once (not revoked, not expired). */
    AI_MAX_KEYS_PER_USER: positiveInt.max(1000).default(25),

    /** Largest request body on /ai/v1 (images as data URLs make chat bodies large). */
    AI_MAX_BODY_BYTES: positiveInt.default(4 * 1024 * 1024),
    /** Largest `max_tokens` a call may ask for, whatever the model allows. */
    AI_MAX_OUTPUT_TOKENS: positiveInt.default(32_768),
    /** Upstream timeouts: connect, first byte of the answer, whole call. */
    AI_CONNECT_TIMEOUT_MS: positiveInt.default(5000),
    AI_FIRST_TOKEN_TIMEOUT_MS: positiveInt.default(60_000),
    AI_TOTAL_TIMEOUT_MS: positiveInt.default(600_000),
    /** Attempts on one deployment (429, 5xx, network errors before the first byte reached the client). */
    AI_MAX_ATTEMPTS: positiveInt.default(3),
    /** Failures in a row that open a deployment's circuit breaker, and how long it stays open. */
    AI_BREAKER_FAILURES: positiveInt.default(5),
    AI_BREAKER_OPEN_MS: positiveInt.default(30_000),

    /** How long an exact-match cached answer is served (0: no cache). */
    AI_CACHE_TTL_SECONDS: z.coerce.number().int().nonnegative().default(3600),
    /** Largest answer one cached entry may hold (a larger one is not cached). */
    AI_CACHE_MAX_ENTRY_BYTES: positiveInt.default(256 * 1024),
    /** Jobs (POST /ai/jobs) a worker runs at once per instance. */
    AI_JOB_CONCURRENCY: positiveInt.default(4),
    /** A generated image fetched from a provider's URL (to store it as the user's file): at most this large, within this time. */
    AI_IMAGE_MAX_BYTES: positiveInt.default(20 * 1024 * 1024),
    AI_IMAGE_FETCH_TIMEOUT_MS: positiveInt.default(30_000),
    /** Hosts image URLs may name although they are not public (a local provider); others must resolve to public addresses. */
    AI_IMAGE_ALLOWED_HOSTS: fragments.list(),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === "production" && !env.AI_CLIENT_SECRET) {
      ctx.addIssue({ code: "custom", path: ["AI_CLIENT_SECRET"], message: "is required in production" });
    }
  });

export type AiEnv = z.infer<typeof aiEnv>;
