/** Runs the user service alone on its port (what compose and the end-to-end tests run). */
import { loadEnv } from "@lodge/config";
import { runService } from "@lodge/kit";
import { userEnv } from "./env";
import { startUserService } from "./service";

const env = loadEnv(userEnv);
await runService({ service: "user", env, start: (logger) => startUserService({ env, logger }) });
