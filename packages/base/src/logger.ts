import pino, { type Logger } from "pino";

export type { Logger };

/** Redacted at the top level and one level down (pino has no recursive wildcard). */
const secretFields = ["password", "newPassword", "currentPassword", "token", "refreshToken", "accessToken", "clientSecret", "authorization", "cookie"];

/** JSON logs; secret fields are redacted by name. `destination` defaults to stdout. */
export function createLogger(options: { service: string; level?: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { service: options.service },
      serializers: { err: safeError },
      redact: {
        paths: secretFields.flatMap((field) => [field, `*.${field}`]),
        censor: "[redacted]",
      },
    },
    options.destination,
  );
}

/** Errors as pino logs them, minus query parameters (a failed query's message lists them, and they can be secrets). */
function safeError(error: unknown) {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  // Drizzle's query errors also carry the parameters as a field of their own.
  delete serialized.params;
  for (const field of ["message", "stack"]) {
    if (typeof serialized[field] === "string") serialized[field] = (serialized[field] as string).replace(/\nparams: [^\n]*/g, "\nparams: [redacted]");
  }
  return serialized;
}
