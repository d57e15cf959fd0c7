/**
 * DESIGN.md: dependencies are built once at boot and passed in, never held in module state. This
 * reads every source file of the apps and packages (entry points aside: they are the boot) and
 * refuses what would make a module keep state or do work when it is imported: a top-level `let`
 * or `var`, a top-level Map/WeakMap/WeakSet/WeakRef or empty Set, a statement run on import
 * (a call such as `sharp.cache(false)`, an immediately invoked function) and a top-level `await`.
 * A constant lookup (`new Set(["a", "b"])`) is allowed.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

const root = new URL("../..", import.meta.url).pathname;
/** Run as processes, not imported: they parse env, open connections and serve at the top level. */
const entryPoint = /(^|\/)(main|cli|[\w-]+-cli)\.ts$/;

const sources = [...new Bun.Glob("{apps,packages}/*/src/**/*.ts").scanSync({ cwd: root })]
  .filter((path) => !path.endsWith(".test.ts") && !entryPoint.test(path))
  .sort();

const heldTypes = new Set(["Map", "WeakMap", "WeakSet", "WeakRef"]);

/** The module-state findings of one file's source: `line: what`. */
function moduleState(fileName: string, text: string): string[] {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const report = (node: ts.Node, what: string) => found.push(`${file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1}: ${what}`);

  // Outside functions, classes' bodies aside, every await runs on import.
  const findAwaits = (node: ts.Node) => {
    if (ts.isFunctionLike(node)) return;
    if (ts.isAwaitExpression(node) || (ts.isForOfStatement(node) && node.awaitModifier)) report(node, "top-level await");
    ts.forEachChild(node, findAwaits);
  };
  const isHeld = (expression: ts.Expression | undefined): boolean => {
    if (!expression) return false;
    if (ts.isAsExpression(expression) || ts.isSatisfiesExpression(expression) || ts.isParenthesizedExpression(expression)) return isHeld(expression.expression);
    if (!ts.isNewExpression(expression) || !ts.isIdentifier(expression.expression)) return false;
    const type = expression.expression.text;
    return heldTypes.has(type) || (type === "Set" && (expression.arguments?.length ?? 0) === 0);
  };

  for (const statement of file.statements) {
    findAwaits(statement);
    if (ts.isVariableStatement(statement)) {
      const flags = statement.declarationList.flags;
      if (!(flags & ts.NodeFlags.Const)) report(statement, "top-level let/var");
      for (const declaration of statement.declarationList.declarations) {
        if (isHeld(declaration.initializer)) report(declaration, `module-level ${declaration.name.getText(file)}`);
      }
    } else if (ts.isExpressionStatement(statement)) {
      report(statement, `run on import: ${statement.expression.getText(file).slice(0, 60)}`);
    }
  }
  return found;
}

describe("no module state", () => {
  test("the check finds each kind of module state", () => {
    const example = [
      "let count = 0;",
      "const seen = new Map<string, number>();",
      "const owners = new WeakMap();",
      "const names = new Set<string>();",
      "const fixed = new Set(['a', 'b']);",
      "sharp.cache(false);",
      "(() => {})();",
      "export const hash = await hashPassword('x');",
      "export function fine() { const local = new Map(); let n = 0; return async () => await local.get(n); }",
    ].join("\n");
    expect(moduleState("example.ts", example)).toEqual([
      "1: top-level let/var",
      "2: module-level seen",
      "3: module-level owners",
      "4: module-level names",
      "6: run on import: sharp.cache(false)",
      "7: run on import: (() => {})()",
      "8: top-level await",
    ]);
  });

  test("the apps' and packages' modules hold no state and do no work on import", () => {
    expect(sources.length).toBeGreaterThan(50);
    const findings = sources.flatMap((path) => moduleState(path, readFileSync(join(root, path), "utf8")).map((finding) => `${path}:${finding}`));
    expect(findings).toEqual([]);
  });
});
