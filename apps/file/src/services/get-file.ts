import type { Principal } from "@lodge/kit";
import type { Ctx } from "../deps";
import { authorizedFile } from "../helpers/access";

/** A file's row, for its owner, an admin or a client with `files:read`; 404 for anyone else. */
export async function getFile({ ctx, input }: { ctx: Ctx; input: { id: string; by: Principal } }) {
  return authorizedFile(ctx, input.id, input.by, "read");
}
