/**
 * `make(owner)`, built once per owner on first use and kept as long as the owner lives. For what a
 * service builds from its deps or database for every request to share: drizzle prepared statements
 * (drizzle otherwise builds a query's SQL again on every call, which for a short statement costs
 * more than running it) and batched readers.
 */
export function oncePer<Owner extends object, Value>(make: (owner: Owner) => Value): (owner: Owner) => Value {
  const made = new WeakMap<Owner, Value>();
  return (owner) => {
    let value = made.get(owner);
    if (value === undefined) {
      value = make(owner);
      made.set(owner, value);
    }
    return value;
  };
}
