import { z } from "@hono/zod-openapi";

export const fits = ["cover", "contain", "fill", "inside", "outside"] as const;
export const formats = ["webp", "avif", "jpeg", "png"] as const;
export type VariantParams = { w?: number; h?: number; fit?: (typeof fits)[number]; format?: (typeof formats)[number]; q?: number };
export type Variant = { w?: number; h?: number; fit: (typeof fits)[number]; format: (typeof formats)[number]; q: number; key: string };

/** A variant's parameters as a query states them: the content route's and each configured preset's one definition. */
export const variantQuery = (maxDimension: number) =>
  z.object({
    w: z.coerce.number().int().min(1).max(maxDimension).optional(),
    h: z.coerce.number().int().min(1).max(maxDimension).optional(),
    fit: z.enum(fits).optional(),
    format: z.enum(formats).optional(),
    q: z.coerce.number().int().min(1).max(100).optional(),
  });

/** Fills defaults and names the variant canonically, so equivalent requests share one rendering. Undefined: the original. */
export function canonicalVariant(params: VariantParams): Variant | undefined {
  if (params.w === undefined && params.h === undefined && params.format === undefined && params.fit === undefined && params.q === undefined) return undefined;
  const fit = params.fit ?? (params.w !== undefined && params.h !== undefined ? "cover" : "inside");
  const format = params.format ?? "webp";
  const q = params.q ?? 80;
  const key = `w=${params.w ?? "auto"},h=${params.h ?? "auto"},fit=${fit},format=${format},q=${q}`;
  return { w: params.w, h: params.h, fit, format, q, key };
}

/**
 * A preset (imgproxy's word) written as the query that asks for it, `w=128&h=128&fit=cover&format=webp`:
 * its canonical variant, or the reason it is not one.
 */
export function parsePreset(text: string, maxDimension: number): Variant | string {
  const parsed = variantQuery(maxDimension)
    .strict()
    .safeParse(Object.fromEntries(new URLSearchParams(text)));
  if (!parsed.success) return `"${text}": ${parsed.error.issues.map((issue) => `${issue.path.join(".") || "query"} ${issue.message}`).join("; ")}`;
  return canonicalVariant(parsed.data) ?? `"${text}" names no variant`;
}
