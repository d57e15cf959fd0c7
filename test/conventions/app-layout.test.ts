/**
 * DESIGN.md's layout of an app, checked: `services/` holds use cases, one per file, each exporting
 * the one function the file is named after (`services/list-sessions.ts` → `listSessions`); what is
 * not a use case lives in `helpers/`, below them (helpers import no service and no route); services
 * know nothing of HTTP (no import from `routes/`, `hono` or `@hono/*`); `src/` has no other folder
 * name for the same idea; what the starter is handed is named alike in every app: `consumers` in
 * `events/index.ts`, `jobs` in `jobs/index.ts`, and each job file exports its `<name>Job` (and
 * `create<Name>Queue` where others add jobs to it).
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import ts from "typescript";

const root = new URL("../..", import.meta.url).pathname;
/** The apps laid out this way. */
const apps = ["auth", "user", "file", "notification", "ai", "analytics", "bot"];
const folders = new Set(["events", "helpers", "jobs", "routes", "services"]);
/**
 * Folders an app may add for its own vocabulary: the notification service's type catalog and
 * delivery channels and the AI service's providers (held to the helpers' rule: below the use
 * cases), the notification service's realtime socket (a way in beside routes/, and what the use
 * cases announce through), and the bot service's Telegram bot and its update pipeline (the way
 * Telegram's updates come in and are run: ways in beside routes/).
 */
const vocabularyFolders: Record<string, string[]> = { notification: ["catalog", "channels", "realtime"], ai: ["providers"], bot: ["bot", "updates"] };
const belowUseCases = new Set(["helpers", "catalog", "channels", "providers"]);

/** The names of the values (not types) a module exports. */
function exportedValues(fileName: string, text: string): string[] {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const names: string[] = [];
  for (const statement of file.statements) {
    const exported = ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword);
    if (exported && (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement))) names.push(statement.name?.text ?? "default");
    if (exported && ts.isVariableStatement(statement))
      names.push(...statement.declarationList.declarations.map((declaration) => declaration.name.getText(file)));
    if (ts.isExportDeclaration(statement) && !statement.isTypeOnly) {
      if (!statement.exportClause) names.push("*");
      else if (ts.isNamedExports(statement.exportClause))
        names.push(...statement.exportClause.elements.filter((element) => !element.isTypeOnly).map((element) => element.name.text));
    }
    if (ts.isExportAssignment(statement)) names.push("default");
  }
  return names;
}

/** Every module specifier a file imports or re-exports from. */
function importsOf(fileName: string, text: string): string[] {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  return file.statements.flatMap((statement) =>
    (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)
      ? [statement.moduleSpecifier.text]
      : [],
  );
}

const camelCase = (kebab: string) => kebab.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase());

/** What is wrong with one app file's exports and imports (`path: what`), given where it lives (relative to its app's `src/`). */
function layoutFindings(path: string, text: string): string[] {
  const [folder] = path.split("/");
  const found: string[] = [];
  const exported = exportedValues(path, text);
  const imported = importsOf(path, text);
  // A relative import resolved to the folder of src/ it lands in ("routes", "services", ...).
  const folderOf = (specifier: string) => (specifier.startsWith(".") ? relative(".", join(dirname(path), specifier)).split("/")[0] : undefined);
  if (folder === "services") {
    const expected = camelCase(basename(path, ".ts"));
    if (exported.length !== 1 || exported[0] !== expected) found.push(`${path}: exports ${JSON.stringify(exported)}, not just ${expected}`);
    for (const specifier of imported) {
      if (folderOf(specifier) === "routes" || specifier === "hono" || specifier.startsWith("@hono/")) found.push(`${path}: imports ${specifier} (HTTP)`);
    }
  }
  if (belowUseCases.has(folder ?? "")) {
    for (const specifier of imported) {
      const target = folderOf(specifier);
      if (target === "services" || target === "routes") found.push(`${path}: imports ${specifier} (a helper sits below the use cases)`);
    }
  }
  if (path === "events/index.ts" && JSON.stringify(exported) !== JSON.stringify(["consumers"])) {
    found.push(`${path}: exports ${JSON.stringify(exported)}, not just consumers`);
  }
  if (path === "jobs/index.ts" && JSON.stringify(exported) !== JSON.stringify(["jobs"])) {
    found.push(`${path}: exports ${JSON.stringify(exported)}, not just jobs`);
  }
  if (folder === "jobs" && path !== "jobs/index.ts") {
    const job = `${camelCase(basename(path, ".ts"))}Job`;
    const queue = `create${job[0]?.toUpperCase()}${job.slice(1, -3)}Queue`;
    for (const name of exported.filter((name) => name !== job && name !== queue)) found.push(`${path}: exports ${name}, not ${job} or ${queue}`);
  }
  return found;
}

describe("the apps' layout", () => {
  test("the check finds each kind of finding", () => {
    expect(layoutFindings("services/list-sessions.ts", "export async function listSessions() {}\nexport type Row = {};")).toEqual([]);
    expect(layoutFindings("services/list-sessions.ts", "export function listSessions() {}\nexport function describeSession() {}")).toEqual([
      'services/list-sessions.ts: exports ["listSessions","describeSession"], not just listSessions',
    ]);
    expect(layoutFindings("services/log-out.ts", "export const logOutByRefreshToken = async () => {};")).toEqual([
      'services/log-out.ts: exports ["logOutByRefreshToken"], not just logOut',
    ]);
    expect(
      layoutFindings(
        "services/get-preferences.ts",
        'import { Profile } from "../routes/schemas";\nimport { z } from "@hono/zod-openapi";\nexport function getPreferences() {}',
      ),
    ).toEqual(["services/get-preferences.ts: imports ../routes/schemas (HTTP)", "services/get-preferences.ts: imports @hono/zod-openapi (HTTP)"]);
    expect(layoutFindings("helpers/sessions.ts", 'import { logIn } from "../services/log-in";\nimport { z } from "@hono/zod-openapi";')).toEqual([
      "helpers/sessions.ts: imports ../services/log-in (a helper sits below the use cases)",
    ]);
    expect(layoutFindings("events/index.ts", "export function consumeEvents() {}")).toEqual(['events/index.ts: exports ["consumeEvents"], not just consumers']);
    expect(layoutFindings("jobs/index.ts", "export const workers = [];")).toEqual(['jobs/index.ts: exports ["workers"], not just jobs']);
    expect(layoutFindings("jobs/password-reset.ts", "export const passwordResetJob = {};\nexport function createPasswordResetQueue() {}")).toEqual([]);
    expect(layoutFindings("jobs/maintenance.ts", "export function startMaintenance() {}\nexport function createMaintenanceQueue() {}")).toEqual([
      "jobs/maintenance.ts: exports startMaintenance, not maintenanceJob or createMaintenanceQueue",
    ]);
  });

  for (const app of apps) {
    test(`apps/${app} follows it`, () => {
      const src = join(root, "apps", app, "src");
      const allowed = new Set([...folders, ...(vocabularyFolders[app] ?? [])]);
      const strayFolders = readdirSync(src, { withFileTypes: true }).filter((entry) => entry.isDirectory() && !allowed.has(entry.name));
      expect(strayFolders.map((entry) => entry.name)).toEqual([]);
      expect(existsSync(join(src, "services"))).toBe(true);
      const paths = [...new Bun.Glob("**/*.ts").scanSync({ cwd: src })].filter((path) => !path.endsWith(".test.ts")).sort();
      const findings = paths.flatMap((path) => layoutFindings(path, readFileSync(join(src, path), "utf8")));
      expect(findings).toEqual([]);
    });
  }
});
