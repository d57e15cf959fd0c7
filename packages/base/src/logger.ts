import pino, { type Logger } from "pino";

export type { Logger };

const secretFields = new Set(["password", "newPassword", "currentPassword", "token", "refreshToken", "accessToken", "clientSecret", "authorization", "cookie"]);
const CENSOR = "[redacted]";

/** JSON logs; secret fields are redacted by name. `destination` defaults to stdout. */
export function createLogger(options: { service: string; level?: string; destination?: pino.DestinationStream }): Logger {
  const logger = pino(
    {
      level: options.level ?? "info",
      base: { service: options.service },
      serializers: { err: safeError },
      // Not pino's `redact`: with wildcard paths it re-parses every path for every field of every
      // line (a third of a kit service's CPU per request). These do the same, in one pass over the keys.
      formatters: { log: redactSecrets },
    },
    options.destination,
  );
  // pino applies no formatter to a child's bindings; children inherit this `child` from the root.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, redactSecrets(bindings), childOptions);
  } as Logger["child"];
  return logger;
}

/**
 * Secret fields redacted at the top level and one level down (the one level pino's redaction went).
 * Copies only what holds a secret. `err` is left to its serializer, which redacts its own fields.
 */
function redactSecrets(object: Record<string, unknown>): Record<string, unknown> {
  let redacted: Record<string, unknown> | undefined;
  for (const key in object) {
    const value = object[key];
    let replacement: unknown = value;
    if (secretFields.has(key)) replacement = CENSOR;
    else if (key !== "err" && typeof value === "object" && value !== null && !Array.isArray(value))
      replacement = redactFields(value as Record<string, unknown>);
    if (replacement !== value) {
      redacted ??= { ...object };
      redacted[key] = replacement;
    }
  }
  return redacted ?? object;
}

/** `object` itself when it holds no secret field, else a copy of its own fields with them censored. */
function redactFields(object: Record<string, unknown>): Record<string, unknown> {
  for (const key in object) {
    if (secretFields.has(key) && Object.hasOwn(object, key)) {
      const copy = { ...object };
      for (const field of secretFields) if (Object.hasOwn(copy, field)) copy[field] = CENSOR;
      return copy;
    }
  }
  return object;
}

/** Errors as pino logs them, minus query parameters (a failed query's message lists them, and they can be secrets) and secret fields. */
function safeError(error: unknown) {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  // Drizzle's query errors also carry the parameters as a field of their own.
  delete serialized.params;
  for (const field of ["message", "stack"]) {
    if (typeof serialized[field] === "string") serialized[field] = (serialized[field] as string).replace(/\nparams: [^\n]*/g, "\nparams: [redacted]");
  }
  return redactFields(serialized);
}
