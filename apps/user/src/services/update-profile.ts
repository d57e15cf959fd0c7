import { knownFiles, profiles } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { canonicalLocale, canonicalTimeZone } from "../helpers/locale";
import { ownProfile } from "../helpers/present-profile";
import { ensureProfile } from "./ensure-profile";
import { publishFile } from "./publish-file";
import { settleAvatarVisibility } from "./settle-avatar-visibility";

/** Image types an avatar may have (SVG is active content and is never one). */
const avatarTypes = new Set(["image/jpeg", "image/png", "image/webp", "image/avif", "image/gif"]);

type Patch = { displayName?: string | null; bio?: string | null; avatarFileId?: string | null; locale?: string; timezone?: string };
const fields = ["displayName", "bio", "avatarFileId", "locale", "timezone"] as const;

/**
 * A partial update of the signed-in user's profile; publishes `user.profile_updated` naming the
 * fields that changed (with the new `locale` and `timezone` when they are among them). A new avatar must be an image the user uploaded, as the file service's events
 * told us (`user.known_files`, no network call); it is then made public at the file service, before
 * anything is written, so a failure there leaves the profile as it was. Once the change is committed
 * the previous avatar is made private again (see settleAvatarVisibility); no file service call is
 * made inside the transaction, which would hold a connection (the only one, with PGlite) meanwhile.
 */
export async function updateProfile({ ctx, input }: { ctx: Ctx; input: { userId: string; patch: Patch } }) {
  const current = await ensureProfile({ ctx, input: { userId: input.userId } });
  const patch: Patch = { ...input.patch };
  if (patch.locale !== undefined) patch.locale = canonicalLocale(patch.locale);
  if (patch.timezone !== undefined) patch.timezone = canonicalTimeZone(patch.timezone);
  if (patch.avatarFileId && patch.avatarFileId !== current.avatarFileId) {
    const [file] = await ctx.deps.db
      .select()
      .from(knownFiles)
      .where(and(eq(knownFiles.fileId, patch.avatarFileId), eq(knownFiles.ownerId, input.userId)))
      .limit(1);
    if (!file || !avatarTypes.has(file.contentType)) throw notAnAvatar();
    if (!(await publishFile({ ctx, input: { fileId: file.fileId, public: true } }))) throw notAnAvatar();
  }

  const { profile, replaced } = await ctx.deps.outbox.transaction(async (tx) => {
    const [before] = await tx.select().from(profiles).where(eq(profiles.userId, input.userId)).for("update");
    if (!before) throw new ApiError({ code: "UNAUTHORIZED", message: "Account deleted" });
    const changed = fields.filter((field) => patch[field] !== undefined && patch[field] !== before[field]);
    if (changed.length === 0) return { profile: before, replaced: null };
    const values = Object.fromEntries(changed.map((field) => [field, patch[field]]));
    const [after] = await tx
      .update(profiles)
      .set({ ...values, updatedAt: ctx.deps.clock() })
      .where(eq(profiles.userId, input.userId))
      .returning();
    // The new locale and time zone travel with the event: consumers keep a copy to write and time notifications.
    const settings = Object.fromEntries(changed.filter((field) => field === "locale" || field === "timezone").map((field) => [field, patch[field]]));
    await ctx.deps.outbox.enqueue(tx, "user.profile_updated", { userId: input.userId, changed: [...changed], ...settings }, ctx.requestId);
    return { profile: after ?? before, replaced: changed.includes("avatarFileId") ? before.avatarFileId : null };
  });
  if (replaced) await settleAvatarVisibility({ ctx, input: { userId: input.userId, fileIds: [replaced] } });
  return ownProfile(profile, ctx.deps.config);
}

function notAnAvatar() {
  return new ApiError({
    code: "VALIDATION_FAILED",
    message: "The avatar must be an image file you uploaded",
    details: [{ path: "avatarFileId", message: "must be a JPEG, PNG, WebP, AVIF or GIF file you uploaded" }],
  });
}
