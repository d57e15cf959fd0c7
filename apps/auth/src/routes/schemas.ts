import { z } from "@hono/zod-openapi";
import { safeText } from "@lodge/kit";

export const Email = z.email().max(254).openapi({ example: "ada@example.com" });
/** NIST 800-63B: length only, no composition rules. */
export const Password = z.string().min(10).max(256).openapi({ example: "correct horse battery staple" });
/** A person's name; lone surrogates are accepted, as they always were (refusing them would change the contract). */
export const Name = safeText({ min: 1, max: 100, refuse: "format", trim: "first", wellFormed: false });
/** Free text an admin writes (a ban reason): printable, bounded. */
export const Reason = safeText({ min: 1, max: 500, refuse: "format", trim: "first" });
export const Token = z.string().min(1).max(512);

export const User = z
  .object({
    id: z.uuid(),
    email: z.string(),
    name: z.string().nullable(),
    role: z.enum(["user", "admin"]),
    emailVerified: z.boolean(),
    createdAt: z.string(),
  })
  .openapi("User");

export const AdminUser = User.extend({
  bannedAt: z.string().nullable().openapi({ description: "When the account was suspended; null when it is not" }),
  bannedReason: z.string().nullable(),
}).openapi("AdminUser");

export const Session = z
  .object({
    id: z.uuid(),
    createdAt: z.string(),
    lastUsedAt: z.string(),
    expiresAt: z.string(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    current: z.boolean(),
  })
  .openapi("Session");

export const TokenPair = z
  .object({
    user: User,
    accessToken: z.string(),
    refreshToken: z.string(),
    expiresIn: z.number().int().openapi({ description: "Access token lifetime in seconds" }),
  })
  .openapi("TokenPair");

export const bearer = [{ bearer: [] }];
