import type { AuthDeps } from "../deps";
import { onDeletionRequested } from "./deletion-requested";

/** The events auth consumes, as the consumer group "auth". */
export function subscribeToEvents(deps: AuthDeps) {
  return deps.bus.subscribe({
    group: "auth",
    handlers: { "user.deletion_requested": onDeletionRequested(deps) },
  });
}
