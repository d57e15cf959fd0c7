import { canonicalJson } from "@lodge/kit";

/** SHA-256 of a request as validated, whatever its key order: what an idempotency key's first request is compared by. */
export function requestHashOf(value: unknown): string {
  return new Bun.CryptoHasher("sha256").update(canonicalJson(value)).digest("hex");
}
