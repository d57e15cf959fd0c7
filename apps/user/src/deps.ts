import type { Ctx as KitCtx, RemoteServices, ServiceBase, WithOutbox } from "@lodge/kit";
import type { UserConfig } from "./config";

/** What the kit builds for every service, plus the user service's own (see service.ts); built once at boot. */
export type UserDeps = ServiceBase &
  WithOutbox & {
    /** Calls to auth, file, notification and ai with this service's client token. */
    remote: RemoteServices<"auth" | "file" | "notification" | "ai" | "analytics" | "bot">;
    config: UserConfig;
  };

export type Ctx = KitCtx<UserDeps>;
