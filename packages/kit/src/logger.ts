import pino, { type Logger } from "pino";

export type { Logger };

/** JSON logs; secrets are redacted wherever they appear in logged objects. */
export function createLogger(options: { service: string; level?: string }): Logger {
  return pino({
    level: options.level ?? "info",
    base: { service: options.service },
    serializers: { err: safeError },
    redact: {
      paths: [
        "password",
        "*.password",
        "*.newPassword",
        "*.currentPassword",
        "token",
        "*.token",
        "*.refreshToken",
        "*.accessToken",
        "*.clientSecret",
        "authorization",
        "*.authorization",
        "cookie",
        "*.cookie",
      ],
      censor: "[redacted]",
    },
  });
}

/** Errors as pino logs them, minus query parameters (a failed query's message lists them, and they can be secrets). */
function safeError(error: unknown) {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  for (const field of ["message", "stack"]) {
    if (typeof serialized[field] === "string") serialized[field] = (serialized[field] as string).replace(/\nparams: [^\n]*/g, "\nparams: [redacted]");
  }
  return serialized;
}
