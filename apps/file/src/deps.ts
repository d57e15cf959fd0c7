import type { Queue } from "@lodge/jobs";
import type { Ctx as KitCtx, ServiceBase, WithOutbox } from "@lodge/kit";
import type { FileConfig } from "./config";
import type { FileCaches } from "./helpers/caches";
import type { RenderGate } from "./helpers/render-gate";
import type { Storage } from "./helpers/storage/index";

/** What the kit builds for every service, plus the file service's own (see service.ts); built once at boot. */
export type FileDeps = ServiceBase &
  WithOutbox & {
    storage: Storage;
    caches: FileCaches;
    /** Bounds concurrent variant renderings (and shares the ones in flight). */
    renders: RenderGate;
    /** A new image's first thumbnails, one job per file (absent when the workers are off). */
    processing?: Queue<{ fileId: string }>;
    config: FileConfig;
  };

export type Ctx = KitCtx<FileDeps>;
