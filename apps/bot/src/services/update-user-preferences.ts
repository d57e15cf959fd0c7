import { ApiError } from "@lodge/kit";
import type { Ctx } from "../deps";
import { callAsUser, replyBody, unexpectedReply } from "../helpers/call-as-user";
import { type PreferencesDocument, PreferencesReply, type PreferencesState } from "../helpers/peer-replies";
import { getUserPreferences } from "./get-user-preferences";

/** `change` gives the new document, or null when there is nothing to change (nothing is written then); it runs between the read and the write. */
type UpdateInput = { userId: string; change: (preferences: PreferencesDocument) => PreferencesDocument | null | Promise<PreferencesDocument | null> };

/**
 * Reads the user's preferences, applies `change` and writes them back with the version read
 * (optimistic concurrency at the user service). Saved elsewhere meanwhile (409): read and applied
 * once more; a second conflict is a CONFLICT for the user to retry. The document is written back
 * whole, keys the bot does not know included.
 */
export async function updateUserPreferences({ ctx, input }: { ctx: Ctx; input: UpdateInput }): Promise<PreferencesState> {
  for (let attempt = 1; ; attempt++) {
    const current = await getUserPreferences({ ctx, input: { userId: input.userId } });
    const preferences = await input.change(current.preferences);
    if (!preferences) return current;
    const body = { version: current.version, preferences };
    const reply = await callAsUser(ctx, input.userId, "user", "/users/me/preferences", { method: "PUT", body });
    if (reply.status === 200) return replyBody(reply, PreferencesReply, "PUT /users/me/preferences");
    if (reply.status !== 409) throw unexpectedReply(reply, "PUT /users/me/preferences");
    if (attempt === 2) throw new ApiError({ code: "CONFLICT", message: "The preferences keep changing elsewhere" });
  }
}
