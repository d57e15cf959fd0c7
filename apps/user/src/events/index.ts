import type { Consumers } from "@lodge/kit";
import type { UserDeps } from "../deps";
import { createProfile } from "../services/create-profile";
import { eraseUserData } from "../services/erase-user-data";
import { forgetFile } from "../services/forget-file";
import { markFileProcessed } from "../services/mark-file-processed";
import { recordErasure } from "../services/record-erasure";
import { rememberFile } from "../services/remember-file";
import { switchTelegramOn } from "../services/switch-telegram-on";

/** The events the user service consumes (consumer group "user"). */
export const consumers: Consumers<UserDeps> = {
  "user.registered": (event, ctx) => createProfile({ ctx, input: event.data }),
  "file.uploaded": (event, ctx) =>
    rememberFile({
      ctx,
      input: { fileId: event.data.fileId, ownerId: event.data.ownerId, contentType: event.data.contentType, size: event.data.size },
    }),
  "file.processed": (event, ctx) => markFileProcessed({ ctx, input: { fileId: event.data.fileId } }),
  "file.deleted": (event, ctx) => forgetFile({ ctx, input: { fileId: event.data.fileId } }),
  /** A chat linked at the bot: the user's Telegram notifications are switched on. */
  "telegram.linked": (event, ctx) => switchTelegramOn({ ctx, input: { userId: event.data.userId } }).then(() => undefined),
  /** This service's own part of a deletion. */
  "user.deletion_requested": (event, ctx) => eraseUserData({ ctx, input: { userId: event.data.userId } }),
  /** Every erasing service's acknowledgement (ours too), until none is pending. */
  "user.data_erased": (event, ctx) => recordErasure({ ctx, input: event.data }),
};
