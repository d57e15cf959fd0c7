import { html } from "hono/html";

/**
 * Template tags of the catalog. HTML goes through Hono's `html` tag (already in the stack, kept
 * with Hono): every interpolated string is HTML-escaped, nested `html` parts are not escaped twice.
 * Both tags refuse a null or undefined value, so a template missing a variable throws when the
 * catalog test renders it, never printing "undefined" (or, in HTML, nothing) into a real message.
 * An optional part is written out as `cond ? … : ""`.
 */
export function htmlTemplate(strings: TemplateStringsArray, ...values: unknown[]): string {
  refuseMissing(values);
  const rendered = html(strings, ...values);
  if (rendered instanceof Promise) throw new Error("an email template must render synchronously");
  return rendered.toString();
}

/** The same for plain text (email text parts, in-app titles and bodies): nothing escaped, nothing missing. */
export function textTemplate(strings: TemplateStringsArray, ...values: unknown[]): string {
  refuseMissing(values);
  return strings.reduce((text, part, index) => text + part + (index < values.length ? String(values[index]) : ""), "");
}

/** Marks an `htmlTemplate` result as markup, so that an outer template includes it unescaped. */
export { raw as markup } from "hono/html";

function refuseMissing(values: unknown[]) {
  const missing = values.findIndex((value) => value === undefined || value === null);
  if (missing >= 0) throw new Error(`template value #${missing + 1} is ${values[missing]}`);
}
