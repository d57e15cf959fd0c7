/**
 * JSON with every object's keys sorted (fields that are undefined left out, as JSON.stringify
 * does), so equal values always serialise, and so hash, the same whatever their key order.
 * Written with plain loops: it runs on hot paths (the AI gateway's cache key of every cacheable call).
 */
export function canonicalJson(value: unknown): string {
  const json = hasToJson(value) ? value.toJSON() : value;
  if (json === null || typeof json !== "object") return JSON.stringify(json);
  if (Array.isArray(json)) {
    let text = "[";
    for (let index = 0; index < json.length; index++) {
      const item = json[index];
      // As Array.prototype.join had it: what JSON cannot hold (a function, a symbol) adds nothing.
      text += `${index === 0 ? "" : ","}${item === undefined ? "null" : (canonicalJson(item) ?? "")}`;
    }
    return `${text}]`;
  }
  let text = "{";
  for (const name of Object.keys(json).sort()) {
    const field = (json as Record<string, unknown>)[name];
    if (field === undefined) continue;
    text += `${text === "{" ? "" : ","}${JSON.stringify(name)}:${canonicalJson(field)}`;
  }
  return `${text}}`;
}

function hasToJson(value: unknown): value is { toJSON: () => unknown } {
  return value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function";
}

/** SHA-256 (hex) of a value's canonicalJson: what a request is recognised by, whatever its key order (idempotency keys, response caches). */
export function canonicalHash(value: unknown): string {
  return Bun.SHA256.hash(canonicalJson(value), "hex");
}
