/** Runs the auth service alone on its port (what compose and the end-to-end tests run). */
import { loadEnv } from "@lodge/config";
import { runService } from "@lodge/kit";
import { authEnv } from "./env";
import { startAuthService } from "./service";

const env = loadEnv(authEnv);
await runService({ service: "auth", env, start: (logger) => startAuthService({ env, logger }) });
