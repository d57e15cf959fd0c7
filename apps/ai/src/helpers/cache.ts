/**
 * A small per-instance cache: entries live `ttlMs` on the given clock (forever for immutable data),
 * at most `max` of them, oldest out first. `load` fills a miss once (concurrent misses share it);
 * a load that was running when its entry was dropped is not kept (it may have read the old value).
 */
export function createCache<Value>(options: { ttlMs: number; max: number; now: () => number; load: (id: string) => Promise<Value> }) {
  const entries = new Map<string, { value: Value; until: number }>();
  const loading = new Map<string, Promise<Value>>();

  const set = (id: string, value: Value) => {
    entries.delete(id);
    if (entries.size >= options.max) entries.delete(entries.keys().next().value as string);
    entries.set(id, { value, until: options.now() + options.ttlMs });
  };

  async function get(id: string): Promise<Value> {
    const entry = entries.get(id);
    if (entry && entry.until > options.now()) return entry.value;
    const pending = loading.get(id);
    if (pending) return pending;
    const load: Promise<Value> = options.load(id).then(
      (value) => {
        if (loading.get(id) === load) {
          loading.delete(id);
          set(id, value);
        }
        return value;
      },
      (error) => {
        if (loading.get(id) === load) loading.delete(id);
        throw error;
      },
    );
    loading.set(id, load);
    return load;
  }

  return {
    get,
    set,
    delete: (id: string) => {
      entries.delete(id);
      loading.delete(id);
    },
  };
}

export type Cache<Value> = ReturnType<typeof createCache<Value>>;
