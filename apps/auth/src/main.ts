/** Runs the auth service alone on its port (what compose and the end-to-end tests run). */
import { runMain } from "@lodge/kit";
import { authService } from "./service";

await runMain(authService);
