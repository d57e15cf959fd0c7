import { timingSafeEqual } from "node:crypto";
import { secretTokenHash } from "@lodge/kit";

/** Whether a secret is the one whose hash (secretTokenHash) is stored, in constant time. */
export function secretsMatch(secret: string, expectedHash: string): boolean {
  const actual = Buffer.from(secretTokenHash(secret), "hex");
  const expected = Buffer.from(expectedHash, "hex");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** OWASP's argon2id minimum: 19 MiB, 2 iterations. */
export const passwordParams = { algorithm: "argon2id", memoryCost: 19456, timeCost: 2 } as const;

export function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, passwordParams);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return Bun.password.verify(password, hash);
}
