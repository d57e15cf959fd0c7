/**
 * Rows as CSV (RFC 4180: CRLF lines, fields quoted when they hold a comma, quote or line break).
 * A text cell a spreadsheet would read as a formula (starting with =, +, -, @, a tab or a carriage
 * return) is prefixed with an apostrophe, so an attacker's page path or referrer cannot run one.
 */
export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const cell = (value: unknown) => {
    if (value === null || value === undefined) return "";
    if (typeof value === "number") return String(value);
    let text = String(value);
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return [columns.join(","), ...rows.map((row) => columns.map((column) => cell(row[column])).join(","))].map((line) => `${line}\r\n`).join("");
}
