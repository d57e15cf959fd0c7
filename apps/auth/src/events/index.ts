import type { Consumers } from "@lodge/kit";
import type { AuthDeps } from "../deps";
import { eraseUser } from "../services/erase-user";

/** The events auth consumes (consumer group "auth"). Account deletion: erase what auth holds about the user and acknowledge with `user.data_erased`. */
export const consumers: Consumers<AuthDeps> = {
  "user.deletion_requested": (event, ctx) => eraseUser({ ctx, input: { userId: event.data.userId } }),
};
