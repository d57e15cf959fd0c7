import { createHmac, timingSafeEqual } from "node:crypto";
import { ApiError } from "@lodge/kit";
import type { Ctx } from "../deps";
import { contentUrl } from "./views";

const mac = (secret: string, fileId: string, expires: number) => createHmac("sha256", secret).update(`lodge-file-v1\n${fileId}\n${expires}`).digest();

/** A URL for the file's content that works without a token until `expiresIn` seconds from now (any variant of it too). */
export function signedUrl({ ctx, input }: { ctx: Ctx; input: { fileId: string; expiresIn: number } }) {
  const { config, clock } = ctx.deps;
  const expires = Math.floor(clock().getTime() / 1000) + input.expiresIn;
  const sig = mac(config.signingSecret, input.fileId, expires).toString("base64url");
  return { url: `${contentUrl(config, input.fileId)}?expires=${expires}&sig=${sig}`, expiresAt: new Date(expires * 1000).toISOString(), expires };
}

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
