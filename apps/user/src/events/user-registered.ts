import type { Envelope } from "@lodge/events";
import type { UserDeps } from "../deps";
import { createProfile } from "../services/create-profile";
import { ctxOfEvent } from "./context";

export const onUserRegistered = (deps: UserDeps) => (event: Envelope<"user.registered">) => createProfile({ ctx: ctxOfEvent(deps, event), input: event.data });
