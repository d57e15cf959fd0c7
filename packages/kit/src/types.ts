import type { Logger } from "pino";

export type Principal =
  | {
      kind: "user";
      userId: string;
      sessionId: string;
      role: "user" | "admin";
      scopes: string[];
      token: string;
      /** The token's `auth_time` (seconds): when the user last proved who they are (a password), kept by refresh; absent from older tokens. */
      authTime?: number;
    }
  | { kind: "client"; clientId: string; role: "service"; scopes: string[]; token: string };

export type AppEnv = {
  Bindings: { requestIP?: (request: Request) => { address: string } | null } | undefined;
  Variables: {
    requestId: string;
    /** The request's logger: a child carrying its requestId. */
    logger: () => Logger;
    /** The client's address (see createClientIpResolver). */
    clientIp: () => string;
    principal: Principal;
  };
};
