/**
 * A stop that a loop's waits on Redis give way to. `Promise.race` against one long-lived promise
 * would keep a reaction (and the result) of every race it ever joined until that promise settles:
 * a wait here leaves nothing behind once it has settled.
 */
export function createStopSignal() {
  let fired = false;
  const waiting = new Set<() => void>();
  return {
    get fired() {
      return fired;
    },
    fire() {
      if (fired) return;
      fired = true;
      for (const end of waiting) end();
      waiting.clear();
    },
    /** What `promise` settles with, or, once the signal fires (at once if it has), what `onStop` returns or throws. */
    until<T>(promise: Promise<T>, onStop: () => T): Promise<T> {
      if (fired) return Promise.resolve().then(onStop);
      return new Promise<T>((resolve, reject) => {
        const end = () => {
          try {
            resolve(onStop());
          } catch (error) {
            reject(error);
          }
        };
        waiting.add(end);
        promise.then(resolve, reject).finally(() => waiting.delete(end));
      });
    },
  };
}

export type StopSignal = ReturnType<typeof createStopSignal>;
