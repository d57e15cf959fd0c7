/** Runs the bot service alone on its port (what compose and the end-to-end tests run). */
import { runMain } from "@lodge/kit";
import { botService } from "./service";

await runMain(botService);
