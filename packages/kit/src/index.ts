export { connectRedis, createLogger, DEFAULT_COMMAND_TIMEOUT_MS, type Logger, Redis, type RedisTimeouts } from "@lodge/base";
export { createApp, createRouter, createServiceApp, type Dialect, type KitOptions, mountOpenApi, type OpenApiInfo, type ServiceAppOptions } from "./app";
export { ACCESS_TOKEN_TTL_SECONDS, type AuthGuardOptions, authenticate, createGuard, type Guard, remoteKeys, SIGNING_ALGORITHMS } from "./auth";
export { type BatchOptions, batched, batchedLookup } from "./batch";
export { canonicalHash, canonicalJson } from "./canonical-json";
export { clientNetwork, createClientIpResolver } from "./client-ip";
export { actingUserOf, type Ctx, ctxOf, userOf } from "./context";
export { createDocsHandler, type DocsSource } from "./docs";
export { ApiError, causedBy, type ErrorBody, type ErrorCode, errorStatus, isRejectedData, issuesToDetails, toApiError } from "./errors";
export { etagMatches } from "./etag";
export { type Check, mountOperations } from "./health";
export { createHttpClient, type HttpClientOptions } from "./http-client";
export { instantOf, isTimeZone, nextLocalTime, quietHoursEnd, type TimeOfDay, wallTimeOf } from "./local-time";
export { luaScript } from "./lua";
export { Counter, createMetrics, Gauge, Histogram, type Metrics } from "./metrics";
export { actingUserHeaders, ErrorSchema, errorResponses, jsonBody, jsonResponse, PageQuery } from "./openapi";
export {
  type CheckedTarget,
  checkTarget,
  getFromTarget,
  isPublicAddress,
  type PublicGetResult,
  type PublicPostResult,
  postToTarget,
  RefusedTarget,
  type TargetRules,
} from "./public-http";
export { type Backoff, createRateLimiter, type Limit, type RateLimiter } from "./rate-limit";
export { connectToServices, type RemoteCall, type RemoteReply, type RemoteServices, type RemoteServicesOptions } from "./remote-services";
export { retryAfterMs } from "./retry-after";
export { type RevocationList, type RevocationWatchOptions, watchRevokedSessions } from "./revocations";
export { type Refused, type SafeTextOptions, safeText, type TextRules, unsafeText } from "./safe-text";
export { isSameSecret, newSecretToken, secretTokenHash } from "./secret-tokens";
export { serve } from "./serve";
export {
  type Consumers,
  defineService,
  type JobDefinition,
  runMain,
  type ServiceBase,
  type ServiceDefinition,
  type ServiceEnv,
  type StartOptions,
  startService,
  type TokenVerification,
  type WithOutbox,
} from "./service";
export { createStreamWriter, entryField, type StreamEntry, type StreamWriter, type StreamWriterOptions } from "./stream-writer";
export type { AppEnv, Principal } from "./types";
export { userExportRoutes } from "./user-export";
export { type ServiceWebSocketHandler, upgradeWebSocket, type WebSocketSettings, webSocketHandler } from "./websocket";
