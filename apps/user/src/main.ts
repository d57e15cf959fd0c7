/** Runs the user service alone on its port (what compose and the end-to-end tests run). */
import { runMain } from "@lodge/kit";
import { userService } from "./service";

await runMain(userService);
