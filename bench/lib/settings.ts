/** A bench's knob: the positive number in the environment variable `name`, else `fallback`. */
export function setting(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

/** The repository's root folder (where the benches start services from). */
export const root = new URL("../..", import.meta.url).pathname;
