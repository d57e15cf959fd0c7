export { createApp, createRouter, createServiceApp, type KitOptions, mountOpenApi, requestCtx } from "./app";
export {
  ACCESS_TOKEN_TTL_SECONDS,
  type AuthGuardOptions,
  authenticate,
  createAuthGuard,
  type Requirement,
  remoteKeys,
  SIGNING_ALGORITHMS,
} from "./auth";
export { clientNetwork, createClientIpResolver } from "./client-ip";
export { createDocsHandler, type DocsSource } from "./docs";
export { ApiError, causedBy, type ErrorBody, type ErrorCode, errorStatus, toApiError } from "./errors";
export { type Foundation, type FoundationOptions, openFoundation, runService, type ServiceBase } from "./foundation";
export { type Check, mountOperations } from "./health";
export { createLogger, type Logger } from "./logger";
export { Counter, createMetrics, Gauge, type Metrics } from "./metrics";
export { ErrorSchema, errorResponses, jsonBody, jsonResponse } from "./openapi";
export { type Backoff, createRateLimiter, type Limit, type RateLimiter } from "./rate-limit";
export { connectRedis, DEFAULT_COMMAND_TIMEOUT_MS, Redis, type RedisTimeouts } from "./redis";
export { connectToServices, type RemoteCall, type RemoteReply, type RemoteServices, type RemoteServicesOptions } from "./remote-services";
export { type RevocationList, type RevocationWatchOptions, watchRevokedSessions } from "./revocations";
export { type Refused, type SafeTextOptions, safeText, type TextRules, unsafeText } from "./safe-text";
export { serve } from "./serve";
export type { AppEnv, Principal } from "./types";
