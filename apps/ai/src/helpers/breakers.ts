/** A deployment's circuit: closed (calls go), open (skipped until `until`), or half-open (one trial call out). */
type Circuit = { failures: number; until: number; trial: boolean };

export type Breakers = ReturnType<typeof createBreakers>;

/**
 * Per-deployment circuit breakers of this instance: `failures` failures in a row open a
 * deployment's circuit for `openMs` (by the service's clock); then one trial call is let through,
 * and its outcome closes the circuit or opens it again.
 */
export function createBreakers(options: { clock: () => Date; failures: number; openMs: number }) {
  const circuits = new Map<string, Circuit>();
  const circuitOf = (id: string) => {
    let circuit = circuits.get(id);
    if (!circuit) {
      circuit = { failures: 0, until: 0, trial: false };
      circuits.set(id, circuit);
    }
    return circuit;
  };
  return {
    /** Whether a call may go to the deployment now (taking the one trial call of a half-open circuit). */
    allows(id: string): boolean {
      const circuit = circuits.get(id);
      if (!circuit || circuit.failures < options.failures) return true;
      if (circuit.trial || options.clock().getTime() < circuit.until) return false;
      circuit.trial = true;
      return true;
    },
    succeeded(id: string) {
      const circuit = circuits.get(id);
      if (circuit) Object.assign(circuit, { failures: 0, until: 0, trial: false });
    },
    failed(id: string) {
      const circuit = circuitOf(id);
      circuit.failures += 1;
      circuit.trial = false;
      if (circuit.failures >= options.failures) circuit.until = options.clock().getTime() + options.openMs;
    },
    /** Ms until the first open circuit among `ids` lets a trial through (for Retry-After). */
    reopensIn(ids: string[]): number {
      const now = options.clock().getTime();
      return Math.max(0, Math.min(...ids.map((id) => (circuits.get(id)?.until ?? now) - now)));
    },
    /** Whether the deployment's circuit is open (for the breaker-state gauge). */
    isOpen: (id: string) => (circuits.get(id)?.failures ?? 0) >= options.failures,
    ids: () => [...circuits.keys()],
  };
}
