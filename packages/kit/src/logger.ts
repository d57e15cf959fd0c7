import pino, { type Logger } from "pino";

export type { Logger };

/** JSON logs; secrets are redacted wherever they appear in logged objects. */
export function createLogger(options: { service: string; level?: string }): Logger {
  return pino({
    level: options.level ?? "info",
    base: { service: options.service },
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
