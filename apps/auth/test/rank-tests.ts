/**
 * Two rank tests for comparing latencies without assuming their shape (normal approximations with
 * tie and continuity corrections; fine from ~20 samples). Each returns a two-sided p-value: how
 * likely a difference at least this large is when both kinds of request take the same time.
 */

/** Mann–Whitney U: are two independent samples from one distribution? */
export function mannWhitneyP(a: number[], b: number[]): number {
  const { ranks, tieTerm } = rank([...a, ...b]);
  const n1 = a.length;
  const n2 = b.length;
  const n = n1 + n2;
  const u = ranks.slice(0, n1).reduce((sum, value) => sum + value, 0) - (n1 * (n1 + 1)) / 2;
  const sd = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  return twoSided(u - (n1 * n2) / 2, sd);
}

/**
 * Wilcoxon signed-rank over pairs measured side by side: is the difference within a pair centred
 * on zero? Pairing cancels the machine's load drifting during the run, which only adds noise to Mann–Whitney.
 */
export function signedRankP(pairs: [number, number][]): number {
  const differences = pairs.map(([a, b]) => a - b).filter((difference) => difference !== 0);
  const n = differences.length;
  if (n === 0) return 1;
  const { ranks, tieTerm } = rank(differences.map(Math.abs));
  const positive = ranks.reduce((sum, value, index) => sum + ((differences[index] as number) > 0 ? value : 0), 0);
  const sd = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48);
  return twoSided(positive - (n * (n + 1)) / 4, sd);
}

/** Ranks (1-based, ties share their mean rank) and Σ(t³ − t) over groups of t ties. */
function rank(values: number[]): { ranks: number[]; tieTerm: number } {
  const order = values.map((value, index) => ({ value, index })).sort((x, y) => x.value - y.value);
  const ranks = new Array<number>(values.length).fill(0);
  let tieTerm = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]?.value === order[start]?.value) end++;
    for (let position = start; position <= end; position++) ranks[order[position]?.index as number] = (start + end) / 2 + 1;
    tieTerm += (end - start + 1) ** 3 - (end - start + 1);
    start = end + 1;
  }
  return { ranks, tieTerm };
}

function twoSided(deviation: number, sd: number): number {
  const z = Math.max(0, Math.abs(deviation) - 0.5) / sd;
  return erfc(z / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes' erfcc, relative error < 1.2e-7). */
function erfc(x: number): number {
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const poly = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851973, -0.82215223, 0.17087277];
  const horner = poly.reduceRight((sum, coefficient) => coefficient + t * sum, 0);
  const y = t * Math.exp(-x * x + horner);
  return x >= 0 ? y : 2 - y;
}
