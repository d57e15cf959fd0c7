import type { Envelope } from "@lodge/events";
import type { UserDeps } from "../deps";
import { eraseUserData } from "../services/erase-user-data";
import { recordErasure } from "../services/record-erasure";
import { ctxOfEvent } from "./context";

/** This service's own part of a deletion. */
export const onDeletionRequested = (deps: UserDeps) => (event: Envelope<"user.deletion_requested">) =>
  eraseUserData({ ctx: ctxOfEvent(deps, event), input: { userId: event.data.userId } });

/** Every erasing service's acknowledgement (ours too), until none is pending. */
export const onDataErased = (deps: UserDeps) => (event: Envelope<"user.data_erased">) => recordErasure({ ctx: ctxOfEvent(deps, event), input: event.data });
