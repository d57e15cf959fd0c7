export { createLogger, type Logger } from "./logger";
export { connectRedis, DEFAULT_COMMAND_TIMEOUT_MS, Redis, type RedisTimeouts } from "./redis";
