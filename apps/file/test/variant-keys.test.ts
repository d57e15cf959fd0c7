import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { variants } from "@lodge/db/schema";
import { eventually } from "@lodge/kit/testing";
import { eq, sql } from "drizzle-orm";
import { userPrefix } from "../src/helpers/storage/keys";
import { canonicalVariant } from "../src/helpers/variant-params";
import { eraseUser } from "../src/services/erase-user";
import { sweepStorage } from "../src/services/sweep-storage";
import { startTestFiles, type TestFiles } from "./harness";
import { images } from "./images";

/**
 * Issue 7, finding 1, for image variants: renderings are stored under their owner's prefix
 * (`users/<ownerId>/variants/<fileId>/...`), so erasing the prefix erases them even when no row
 * lists them. Variants stored before (`variants/<fileId>/...`) are still served and deleted
 * through the rows that record their keys, and the sweeper judges both layouts.
 */
let t: TestFiles;
beforeAll(async () => {
  t = await startTestFiles({ FILE_STORAGE_SWEEP_GRACE_SECONDS: "3600" });
});
afterAll(() => t.close());

type Account = { id: string; token: string };
const ctx = () => ({ deps: t.deps, logger: t.deps.logger });
const variantRows = (fileId: string) => t.db.select().from(variants).where(eq(variants.fileId, fileId));

async function image(account: Account) {
  return (await t.upload(account.token, await images.png(80, 80), { name: "photo.png" })).json as { id: string };
}

/** Asks for a variant and waits until its row is stored; answers the row's storage key. */
async function rendered(account: Account, fileId: string, query: string) {
  const before = new Set((await variantRows(fileId)).map((row) => row.storageKey));
  const response = await fetch(`${t.url}/files/${fileId}/content?${query}`, { headers: { authorization: `Bearer ${account.token}` } });
  expect(response.status).toBe(200);
  await response.arrayBuffer();
  let key: string | undefined;
  await eventually(async () => {
    key = (await variantRows(fileId)).find((row) => !before.has(row.storageKey))?.storageKey;
    return key !== undefined;
  });
  return key as string;
}

/** A variant as the service stored it before per-user keys: its object at `variants/<fileId>/...`, its row recording that key. */
async function legacyVariant(fileId: string, params: { w: number; format: "png" }) {
  const variant = canonicalVariant(params);
  if (!variant) throw new Error("not a variant");
  const bytes = await images.png(params.w, params.w);
  const storageKey = `variants/${fileId}/${crypto.randomUUID().replaceAll("-", "")}`;
  await t.storage.write(storageKey, bytes);
  await t.db.insert(variants).values({ fileId, key: variant.key, storageKey, contentType: "image/png", size: bytes.length });
  return { storageKey, bytes };
}

describe("where variants are stored", () => {
  test("a new rendering is stored under its owner's prefix, and its row records that key", async () => {
    const alice = await t.user();
    const file = await image(alice);
    const key = await rendered(alice, file.id, "w=20&format=png");
    expect(key).toMatch(new RegExp(`^${userPrefix(alice.id)}variants/${file.id}/[0-9a-f]{32}$`));
    expect(await t.storage.list(userPrefix(alice.id))).toContain(key);
    expect((await t.storage.list("variants/")).filter((stored) => stored.includes(file.id))).toEqual([]);
  });

  test("a variant stored in the old layout is still served through its row; deleting the file removes both layouts, listed or not", async () => {
    const alice = await t.user();
    const file = await image(alice);
    const legacy = await legacyVariant(file.id, { w: 30, format: "png" });
    const served = await fetch(`${t.url}/files/${file.id}/content?w=30&format=png`, { headers: { authorization: `Bearer ${alice.token}` } });
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(legacy.bytes)).toBe(true);
    const current = await rendered(alice, file.id, "w=20&format=png");
    // Renderings whose rows were never written (a crash between the object and its row), in both layouts.
    const unlisted = [`variants/${file.id}/0123456789abcdef`, `${userPrefix(alice.id)}variants/${file.id}/0123456789abcdef`];
    for (const key of unlisted) await t.storage.write(key, new Uint8Array(100));
    const objects = (await t.storage.list("")).filter((key) => key.includes(file.id));
    expect(objects).toEqual(expect.arrayContaining([legacy.storageKey, current, ...unlisted]));

    expect((await t.call("DELETE", `/files/${file.id}`, { token: alice.token })).status).toBe(204);
    expect((await t.storage.list("")).filter((key) => key.includes(file.id))).toEqual([]);
    expect(await t.storage.list(userPrefix(alice.id))).toEqual([]);
  });
});

describe("erasure", () => {
  test("removes the user's variants in both layouts and an unlisted object under users/<id>/variants/; other users' stay", async () => {
    const [alice, carol] = await Promise.all([t.user(), t.user()]);
    const file = await image(alice);
    const legacy = await legacyVariant(file.id, { w: 30, format: "png" });
    await rendered(alice, file.id, "w=20&format=png");
    const stray = `${userPrefix(alice.id)}variants/${crypto.randomUUID()}/0123456789abcdef`;
    await t.storage.write(stray, new Uint8Array(100));
    const carols = await image(carol);
    const carolsVariant = await rendered(carol, carols.id, "w=20&format=png");

    await eraseUser({ ctx: ctx(), input: { userId: alice.id } });
    expect(await t.storage.list(userPrefix(alice.id))).toEqual([]);
    expect(await t.storage.list(`variants/${file.id}/`)).toEqual([]);
    expect(await t.storage.list("")).not.toContain(legacy.storageKey);
    expect(await t.storage.list(userPrefix(carol.id))).toContain(carolsVariant);
    expect((await fetch(`${t.url}/files/${carols.id}/content?w=20&format=png`, { headers: { authorization: `Bearer ${carol.token}` } })).status).toBe(200);
  });

  test("a rendering left behind by its file's deletion is erased with the account, though no row lists it", async () => {
    const alice = await t.user();
    const file = await image(alice);
    const stranded = await rendered(alice, file.id, "w=20&format=png");
    // The end state of a rendering stored while its file's DELETE runs (after storage is cleared,
    // before the row goes): the file row is gone, its variant row with it (cascade), the object stays.
    await t.db.execute(sql`delete from file.files where id = ${file.id}::uuid`);
    expect(await variantRows(file.id)).toEqual([]);
    expect(await t.storage.list("")).toContain(stranded);

    await eraseUser({ ctx: ctx(), input: { userId: alice.id } });
    expect((await t.storage.list("")).filter((key) => key.includes(file.id))).toEqual([]);
  });
});

describe("the storage sweeper", () => {
  test("keeps recorded variants of both layouts and removes unrecorded ones once older than the grace period", async () => {
    const dave = await t.user();
    const file = await image(dave);
    const current = await rendered(dave, file.id, "w=20&format=png");
    const legacy = await legacyVariant(file.id, { w: 30, format: "png" });
    const orphans = [
      `${userPrefix(dave.id)}variants/${file.id}/0123456789abcdef`, // a rendering of a live file whose row was never written
      `${userPrefix(dave.id)}variants/${crypto.randomUUID()}/0123456789abcdef`, // of a file that is gone
      `${userPrefix(crypto.randomUUID())}${current.slice(userPrefix(dave.id).length)}`, // a recorded key's name under another user's prefix
      `variants/${file.id}/0123456789abcdef`, // the old layout, unrecorded
    ];
    for (const key of orphans) await t.storage.write(key, new Uint8Array(100));
    // Not a user id: not a key this service laid out, so not the sweeper's to judge.
    const foreign = `users/${"f".repeat(36)}/variants/${file.id}/0123456789abcdef`;
    await t.storage.write(foreign, new Uint8Array(100));
    const all = await t.storage.list("");

    expect((await sweepStorage({ ctx: ctx() })).removed).toBe(0);
    expect(await t.storage.list("")).toEqual(all);
    t.advance(3601_000);
    expect((await sweepStorage({ ctx: ctx() })).removed).toBe(orphans.length);
    const after = await t.storage.list("");
    expect(after).toEqual(all.filter((key) => !orphans.includes(key)));
    expect(after).toEqual(expect.arrayContaining([current, legacy.storageKey, await t.fileKeyOf(file.id), foreign]));
    expect((await variantRows(file.id)).map((row) => row.storageKey).sort()).toEqual([current, legacy.storageKey].sort());
  });
});
