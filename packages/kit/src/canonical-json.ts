import { createHash } from "node:crypto";

/**
 * JSON with every object's keys sorted (fields that are undefined left out, as JSON.stringify
 * does), so equal values always serialise, and so hash, the same whatever their key order.
 */
export function canonicalJson(value: unknown): string {
  const json = hasToJson(value) ? value.toJSON() : value;
  if (Array.isArray(json)) return `[${json.map((item) => (item === undefined ? "null" : canonicalJson(item))).join(",")}]`;
  if (json !== null && typeof json === "object") {
    const entries = Object.entries(json)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([name, field]) => `${JSON.stringify(name)}:${canonicalJson(field)}`).join(",")}}`;
  }
  return JSON.stringify(json);
}

function hasToJson(value: unknown): value is { toJSON: () => unknown } {
  return value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function";
}

/** SHA-256 (hex) of a value's canonicalJson: what a request is recognised by, whatever its key order (idempotency keys, response caches). */
export function canonicalHash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}
