/** Runs the file service alone on its port (what compose and the end-to-end tests run). */
import { runMain } from "@lodge/kit";
import { fileService } from "./service";

await runMain(fileService);
