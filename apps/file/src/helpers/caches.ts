import type { Variant, VariantParams } from "./variant-params";
import type { FileRow } from "./views";

export type CachedVariant = { storageKey: string; contentType: string; size: number; bytes?: Uint8Array };
/** A content URL's query as the route's schema reads it, and the variant it names. */
export type ParsedContentQuery = { query: VariantParams & { download?: "1" | "true"; expires?: number; sig?: string }; variant?: Variant };

const MAX_ENTRIES = 10_000;
const MAX_HEADER_SETS_PER_ROW = 64;
/** Variants up to this size are kept in memory (thumbnails); larger ones are streamed from storage. */
const MAX_CACHED_VARIANT_BYTES = 512 * 1024;

/**
 * Per-instance caches for the hot read path. File rows are trusted for `metadataMs` (a delete or
 * a public-flag change made on another instance shows here within it; this instance's own changes
 * show at once). Variants are immutable once rendered, so their bytes are kept, least recently
 * used out first, within `variantBytes`. Signed URLs' signatures, once checked, are remembered, and
 * so are content URLs' parsed queries and each file row's answer headers.
 */
export function createCaches(options: { metadataMs: number; variantBytes: number; now?: () => number }) {
  const now = options.now ?? Date.now;
  const rows = new Map<string, { row: FileRow; until: number }>();
  const variants = new Map<string, CachedVariant>();
  let variantBytes = 0;

  const files = {
    get(id: string): FileRow | undefined {
      const entry = rows.get(id);
      if (!entry) return undefined;
      if (entry.until < now()) {
        rows.delete(id);
        return undefined;
      }
      return entry.row;
    },
    set(row: FileRow) {
      if (options.metadataMs <= 0) return;
      if (rows.size >= MAX_ENTRIES) rows.delete(rows.keys().next().value as string);
      rows.set(row.id, { row, until: now() + options.metadataMs });
    },
    delete(id: string) {
      rows.delete(id);
      for (const key of variants.keys()) if (key.startsWith(`${id}|`)) dropVariant(key);
    },
  };

  function dropVariant(key: string) {
    const entry = variants.get(key);
    if (entry?.bytes) variantBytes -= entry.bytes.length;
    variants.delete(key);
  }

  const variantCache = {
    get(fileId: string, key: string): CachedVariant | undefined {
      const id = `${fileId}|${key}`;
      const entry = variants.get(id);
      if (entry) {
        variants.delete(id);
        variants.set(id, entry);
      }
      return entry;
    },
    set(fileId: string, key: string, entry: CachedVariant) {
      const id = `${fileId}|${key}`;
      dropVariant(id);
      const keep = entry.bytes && entry.bytes.length <= Math.min(MAX_CACHED_VARIANT_BYTES, options.variantBytes) ? entry : { ...entry, bytes: undefined };
      variants.set(id, keep);
      if (keep.bytes) variantBytes += keep.bytes.length;
      while ((variantBytes > options.variantBytes || variants.size > MAX_ENTRIES) && variants.size > 0) dropVariant(variants.keys().next().value as string);
    },
  };

  // Signed URLs whose signature was checked (the same <img src> is asked for again and again); expiry is checked every time.
  const verified = new Set<string>();
  const signatures = {
    has: (key: string) => verified.has(key),
    add(key: string) {
      if (verified.size >= MAX_ENTRIES) verified.delete(verified.values().next().value as string);
      verified.add(key);
    },
  };

  // Content URLs' query strings as the route parses them (the same <img src> again and again); only valid ones are kept.
  const parsedQueries = new Map<string, ParsedContentQuery>();
  const queries = {
    get: (search: string) => parsedQueries.get(search),
    set(search: string, parsed: ParsedContentQuery) {
      if (parsedQueries.size >= MAX_ENTRIES) parsedQueries.delete(parsedQueries.keys().next().value as string);
      parsedQueries.set(search, parsed);
    },
  };

  // The fixed headers of a file row's answers (per variant, download flag and signed URL second), built
  // once: a renamed or republished file is a new row, and its old row's entries go with it.
  const headerSets = new WeakMap<FileRow, Map<string, Record<string, string>>>();
  const answerHeaders = (row: FileRow, key: string, make: () => Record<string, string>) => {
    let sets = headerSets.get(row);
    if (!sets) {
      sets = new Map();
      headerSets.set(row, sets);
    }
    let headers = sets.get(key);
    if (!headers) {
      if (sets.size >= MAX_HEADER_SETS_PER_ROW) sets.clear();
      headers = make();
      sets.set(key, headers);
    }
    return headers;
  };

  return { files, variants: variantCache, signatures, queries, answerHeaders };
}

export type FileCaches = ReturnType<typeof createCaches>;
