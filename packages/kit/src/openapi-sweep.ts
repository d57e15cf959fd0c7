import { expect } from "bun:test";
import { type BodySchema, badAuthorizations, expectErrorShape, type Reply, type ShapeCheck, sweepBody } from "./testing";

type SchemaOrRef = BodySchema & { $ref?: string };
type DocumentOperation = {
  tags?: string[];
  requestBody?: { content: Record<string, { schema?: SchemaOrRef }> };
  parameters?: { in: string; name: string }[];
};
/** The parts of an OpenAPI 3.1 document the sweeps read. */
export type OpenApiDocument = {
  paths: Record<string, Record<string, DocumentOperation>>;
  components?: { schemas?: Record<string, SchemaOrRef> };
};

/** One operation as the sweeps see it: its JSON body schema (a `$ref` followed) if it takes one, its query and header parameters. */
export type SweptOperation = { method: string; path: string; tags: string[]; schema?: BodySchema; jsonBody: boolean; query: string[]; headers: string[] };

/** The document with only the paths `keep` accepts (a service whose routes answer in two error shapes sweeps each part on its own). */
export function documentPart(document: OpenApiDocument, keep: (path: string) => boolean): OpenApiDocument {
  return { ...document, paths: Object.fromEntries(Object.entries(document.paths).filter(([path]) => keep(path))) };
}

/** Every operation of a service's OpenAPI document, in document order. */
export function operationsOf(document: OpenApiDocument): SweptOperation[] {
  const resolve = (schema: SchemaOrRef | undefined) => (schema?.$ref ? document.components?.schemas?.[schema.$ref.split("/").at(-1) ?? ""] : schema);
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const json = operation.requestBody?.content["application/json"];
      const parameters = (location: string) => (operation.parameters ?? []).filter((parameter) => parameter.in === location).map((parameter) => parameter.name);
      return {
        method: method.toUpperCase(),
        path,
        tags: operation.tags ?? [],
        schema: resolve(json?.schema),
        jsonBody: Boolean(json),
        query: parameters("query"),
        headers: parameters("header"),
      };
    }),
  );
}

/**
 * The bad-input sweep of a whole service: `sweepBody` on every operation of its document that takes
 * a JSON body with a schema. `send` makes one request of that operation (the test picks the path's
 * ids and the token). Returns the operations swept, so a test can check the list is the one it expects.
 */
export async function sweepDocument(options: {
  document: OpenApiDocument;
  send: (operation: SweptOperation, body: unknown, headers: Record<string, string>) => Promise<Reply>;
  oversizedBytes: number;
  /** A value a field of this operation legitimately accepts (e.g. null clearing a nullable field). */
  skipWrong?: (value: unknown, property: string, operation: SweptOperation) => boolean;
  moreHostileStrings?: string[];
  /** The error shape the answers must have (default: the one error shape). */
  expectShape?: ShapeCheck;
}): Promise<SweptOperation[]> {
  const swept = operationsOf(options.document).filter((operation) => operation.schema);
  for (const operation of swept) {
    await sweepBody({
      label: `${operation.method} ${operation.path}`,
      schema: operation.schema,
      send: (body, headers = {}) => options.send(operation, body, headers),
      oversizedBytes: options.oversizedBytes,
      skipWrong: options.skipWrong && ((value, property) => options.skipWrong?.(value, property, operation) ?? false),
      moreHostileStrings: options.moreHostileStrings,
      expectShape: options.expectShape,
    });
  }
  return swept;
}

/**
 * Every guarded route is sent the `badAuthorizations` made from a valid `token` (none, garbage,
 * another scheme, tampered, `alg: none`, a broken signature): each must be a 401 in the error shape.
 */
export async function sweepAuthorizations(options: {
  routes: readonly (readonly [method: string, path: string])[];
  token: string;
  send: (method: string, path: string, headers: Record<string, string>) => Promise<Reply>;
  /** The error shape the answers must have (default: the one error shape). */
  expectShape?: ShapeCheck;
}) {
  const expectShape = options.expectShape ?? expectErrorShape;
  for (const [method, path] of options.routes) {
    for (const authorization of badAuthorizations(options.token)) {
      const response = await options.send(method, path, authorization ? { authorization } : {});
      expect({ method, path, authorization, status: response.status }).toEqual({ method, path, authorization, status: 401 });
      expectShape(response, `${method} ${path} ${authorization?.slice(0, 20)}`);
    }
  }
}
