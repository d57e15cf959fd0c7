import type { LoadResult } from "./load";

/** One scenario's measured rounds, added up. */
export type Totals = {
  ok: number;
  /** 2xx answers during the warm-up (not measured, but they count for the rotation check). */
  warmupOk: number;
  errors: number;
  seconds: number;
  /** req/s of each measured round, to show how much the machine drifted. */
  rounds: number[];
  p50Ms: number[];
  p99Ms: number[];
  firstError?: string;
};

export const emptyTotals = (): Totals => ({ ok: 0, warmupOk: 0, errors: 0, seconds: 0, rounds: [], p50Ms: [], p99Ms: [] });

export function add(totals: Totals, result: LoadResult, measured: boolean) {
  totals.errors += result.errors;
  totals.firstError ??= result.firstError;
  if (!measured) {
    totals.warmupOk += result.ok;
    return;
  }
  totals.ok += result.ok;
  totals.seconds += result.seconds;
  totals.rounds.push(result.rps);
  totals.p50Ms.push(result.p50Ms);
  totals.p99Ms.push(result.p99Ms);
}

export const rate = (totals: Totals) => (totals.seconds > 0 ? totals.ok / totals.seconds : 0);

export type Row = { name: string; totals: Totals; ratio: number; of: string; target: string; pass?: boolean };

const format = (value: number, digits = 0) =>
  Number.isFinite(value) ? value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "-";
const formatRate = (value: number) => format(value, value < 1000 ? 1 : 0);

/** The table: req/s over all measured rounds, the ratio to its baseline, the target and the verdict. */
export function printTable(rows: Row[]) {
  const header = ["name", "req/s", "ratio", "of", "target", "result", "per round req/s", "p50 ms", "p99 ms", "errors"];
  const lines = rows.map((row) => {
    const { totals } = row;
    const verdict = totals.errors > 0 ? "FAIL" : row.pass === undefined ? "" : row.pass ? "PASS" : "MISS";
    return [
      row.name,
      formatRate(rate(totals)),
      format(row.ratio, 3),
      row.of,
      row.target,
      verdict,
      totals.rounds.map(formatRate).join(" / "),
      format(totals.p50Ms.reduce((sum, value) => sum + value, 0) / totals.p50Ms.length, 2),
      format(Math.max(...totals.p99Ms), 2),
      String(totals.errors),
    ];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => (line[column] as string).length)));
  const numeric = new Set([1, 2, 7, 8, 9]);
  const render = (cells: string[]) =>
    cells
      .map((cell, column) => (numeric.has(column) ? cell.padStart(widths[column] as number) : cell.padEnd(widths[column] as number)))
      .join("  ")
      .trimEnd();
  console.log(render(header));
  console.log(widths.map((width) => "-".repeat(width)).join("  "));
  for (const line of lines) console.log(render(line));
}
