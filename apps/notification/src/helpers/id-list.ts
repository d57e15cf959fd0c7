import { type Placeholder, type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";

/**
 * A list of ids given as one JSON array parameter, as rows of one uuid column `id`: a statement's
 * text is then the same for any number of them and can be prepared once (drizzle's `inArray`
 * writes one parameter an id: a new statement for every count).
 */
export const idRows = (ids: readonly string[] | Placeholder): SQL =>
  sql`(select value::uuid as id from json_array_elements_text(${Array.isArray(ids) ? JSON.stringify(ids) : ids}::json))`;

/** `column` is one of a list of ids (see idRows). */
export const amongIds = (column: AnyPgColumn, ids: Placeholder) => sql`${column} in ${idRows(ids)}`;
