import type { Logger, RemoteServices, ServiceBase } from "@lodge/kit";
import type { JWTVerifyGetKey } from "jose";
import type { UserConfig } from "./config";

/** The foundation's shared parts (`ServiceBase`) plus this service's own; built once at boot (main.ts, the dev server, or a test) and passed to createApp. */
export type UserDeps = ServiceBase & {
  /** auth's public keys (its JWKS), for the kit's guard. */
  keys: JWTVerifyGetKey;
  /** Calls to auth and file with this service's client token. */
  remote: RemoteServices<"auth" | "file">;
  config: UserConfig;
};

/** What a service function gets: the deps plus who is asking. */
export type Ctx = { deps: UserDeps; requestId?: string; logger: Logger };
