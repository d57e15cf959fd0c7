import { z } from "@hono/zod-openapi";

export const FileId = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" }, example: "01964d2c-8f2a-7c3e-9d1b-2a4f6e8c0b13" }) });

export const File = z
  .object({
    id: z.uuid(),
    name: z.string(),
    size: z.number().int(),
    contentType: z.string().openapi({ description: "Sniffed from the bytes" }),
    sha256: z.string(),
    createdAt: z.string(),
    url: z.string().openapi({ description: "The content; needs a token unless the file is public (or use a signed URL)" }),
    public: z.boolean(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
  })
  .openapi("File");

/** Raw bodies are declared with plain schemas, so the validator never buffers them. */
export const binary = { type: "string", format: "binary" } as const;

export const bearer = [{ bearer: [] }];
