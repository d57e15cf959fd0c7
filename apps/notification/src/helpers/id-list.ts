import { type Placeholder, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";

/**
 * `column` is one of a list of ids given as one JSON array parameter, so a statement's text is the
 * same for any number of them and can be prepared once (drizzle's `inArray` writes one parameter an
 * id: a new statement for every count).
 */
export const amongIds = (column: AnyPgColumn, ids: Placeholder) => sql`${column} in (select value::uuid from json_array_elements_text(${ids}::json))`;
