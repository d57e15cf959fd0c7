import type { Envelope } from "@lodge/events";
import type { UserDeps } from "../deps";
import { forgetFile } from "../services/forget-file";
import { markFileProcessed } from "../services/mark-file-processed";
import { rememberFile } from "../services/remember-file";
import { ctxOfEvent } from "./context";

export const onFileUploaded = (deps: UserDeps) => (event: Envelope<"file.uploaded">) =>
  rememberFile({
    ctx: ctxOfEvent(deps, event),
    input: { fileId: event.data.fileId, ownerId: event.data.ownerId, contentType: event.data.contentType, size: event.data.size },
  });

export const onFileProcessed = (deps: UserDeps) => (event: Envelope<"file.processed">) =>
  markFileProcessed({ ctx: ctxOfEvent(deps, event), input: { fileId: event.data.fileId } });

export const onFileDeleted = (deps: UserDeps) => (event: Envelope<"file.deleted">) =>
  forgetFile({ ctx: ctxOfEvent(deps, event), input: { fileId: event.data.fileId } });
