import { createHmac, timingSafeEqual } from "node:crypto";
import { ApiError } from "@lodge/kit";
import type { Ctx } from "../deps";

/** The HMAC of a signed URL: the file and its expiry, under the signing secret. */
export const mac = (secret: string, fileId: string, expires: number) => createHmac("sha256", secret).update(`lodge-file-v1\n${fileId}\n${expires}`).digest();

/** Checks a signature in constant time; 403 when it is tampered with, for another file, or expired. */
export function verifySignature(ctx: Ctx, fileId: string, expires: number, sig: string) {
  const { caches, config } = ctx.deps;
  const key = `${fileId} ${expires} ${sig}`;
  if (!caches.signatures.has(key)) {
    const expected = mac(config.signingSecret, fileId, expires);
    const given = Buffer.from(sig, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new ApiError({ code: "FORBIDDEN", message: "Invalid signature" });
    caches.signatures.add(key);
  }
  if (expires * 1000 <= ctx.deps.clock().getTime()) throw new ApiError({ code: "FORBIDDEN", message: "The signed URL has expired" });
}
