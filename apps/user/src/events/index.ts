import type { UserDeps } from "../deps";
import { onDataErased, onDeletionRequested } from "./deletion";
import { onFileDeleted, onFileProcessed, onFileUploaded } from "./files";
import { onUserRegistered } from "./user-registered";

/** The events the user service consumes, as the consumer group "user". */
export function subscribeToEvents(deps: UserDeps) {
  return deps.bus.subscribe({
    group: "user",
    handlers: {
      "user.registered": onUserRegistered(deps),
      "file.uploaded": onFileUploaded(deps),
      "file.processed": onFileProcessed(deps),
      "file.deleted": onFileDeleted(deps),
      "user.deletion_requested": onDeletionRequested(deps),
      "user.data_erased": onDataErased(deps),
    },
  });
}
