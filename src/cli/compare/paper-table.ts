/**
 * LibMoE's paper table (assets/analyze_result_model_1000.ipynb, libmoe.md §9.1) from per-run
 * summaries: PPL, each task's accuracy × 100, AVG Acc (mean of the accuracies) and AVG Rank (mean
 * over PPL ascending and each accuracy descending, ties sharing the average of their ranks;
 * a column every run lacks, such as PPL of runs without held-out evaluation, is left out).
 */

export interface RunScores {
  readonly runId: string;
  /** What the run trained: the MoE algorithm (and its selection mode when it has one). */
  readonly router: string;
  readonly step: number;
  /** Validation perplexity at the end of training (NaN when the run has no evaluation rows). */
  readonly ppl: number;
  /** Task → LibMoE accuracy as a fraction (group_average; LAMBADA: total). */
  readonly accuracy: Readonly<Record<string, number>>;
  /** End-of-training routing, means over MoE layers (dead experts: summed). */
  readonly entropy: number;
  readonly maxvio: number;
  readonly deadExperts: number;
}

export interface PaperRow extends RunScores {
  /** Task → accuracy × 100. */
  readonly scores: Readonly<Record<string, number>>;
  readonly avgAcc: number;
  readonly avgRank: number;
}

/** 1-based ranks, best first; equal values share the mean of the ranks they span; NaN ranks last. */
export function averageRanks(values: readonly number[], ascending: boolean): number[] {
  const key = (v: number): number => (Number.isNaN(v) ? Infinity : ascending ? v : -v);
  const order = values.map((v, i) => ({ k: key(values[i]!), i, v })).sort((a, b) => a.k - b.k);
  const ranks = new Array<number>(values.length);
  for (let s = 0; s < order.length;) {
    let e = s;
    while (e + 1 < order.length && order[e + 1]!.k === order[s]!.k) e++;
    for (let j = s; j <= e; j++) ranks[order[j]!.i] = (s + e) / 2 + 1;
    s = e + 1;
  }
  return ranks;
}

export function paperTable(runs: readonly RunScores[], tasks: readonly string[]): PaperRow[] {
  // A column no run has (PPL of runs trained without held-out evaluation) ranks nobody.
  const candidates: [number[], boolean][] = [[runs.map((r) => r.ppl), true], ...tasks.map((t): [number[], boolean] => [runs.map((r) => r.accuracy[t]!), false])];
  const columns = candidates.filter(([v]) => v.some((x) => !Number.isNaN(x))).map(([v, asc]) => averageRanks(v, asc));
  return runs.map((r, i) => {
    const scores = Object.fromEntries(tasks.map((t) => [t, 100 * r.accuracy[t]!]));
    const accs = tasks.map((t) => scores[t]!);
    return {
      ...r, scores,
      avgAcc: accs.reduce((a, b) => a + b, 0) / accs.length,
      avgRank: columns.reduce((a, c) => a + c[i]!, 0) / columns.length,
    };
  });
}
