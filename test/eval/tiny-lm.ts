/**
 * A language model small enough to score by hand: a fixed vocabulary of strings encoded by
 * greedy longest match, and next-token probabilities that depend only on the previous token
 * (a table; unlisted previous tokens use `defaultNext`). Probabilities are powers of 1/2 so
 * every expected log-probability in the tests is a sum of ln(1/2)s.
 */
import type { ContinuationRequest, ContinuationScore, ContinuationScorer } from '../../src/models/lm/continuation-types.js';
import type { EvalTokenizer } from '../../src/eval/scoring/score-items.js';

export class TinyTokenizer implements EvalTokenizer {
  constructor(readonly vocab: readonly string[]) {}

  id(piece: string): number {
    const i = this.vocab.indexOf(piece);
    if (i < 0) throw new Error(`"${piece}" is not in the tiny vocabulary`);
    return i;
  }

  encodeOne(text: string): Int32Array {
    const ids: number[] = [];
    let at = 0;
    while (at < text.length) {
      let best = -1;
      for (let i = 0; i < this.vocab.length; i++) {
        const v = this.vocab[i]!;
        if (v.length > 0 && text.startsWith(v, at) && (best < 0 || v.length > this.vocab[best]!.length)) best = i;
      }
      if (best < 0) throw new Error(`cannot encode ${JSON.stringify(text.slice(at))}`);
      ids.push(best);
      at += this.vocab[best]!.length;
    }
    return Int32Array.from(ids);
  }

  async encode(texts: readonly string[]): Promise<Int32Array[]> {
    return texts.map((t) => this.encodeOne(t));
  }

  async decode(ids: ArrayLike<number>): Promise<string> {
    return Array.from(ids, (i) => this.vocab[i]!).join('');
  }
}

export type NextTable = Readonly<Record<string, Readonly<Record<string, number>>>>;

export class TinyLm implements ContinuationScorer {
  readonly calls: number[] = [];

  constructor(
    private readonly tok: TinyTokenizer,
    /** previous piece → { next piece: probability }; each row sums to 1. */
    private readonly table: NextTable,
    private readonly defaultNext: Readonly<Record<string, number>>,
    readonly maxTokens = 64,
  ) {}

  private dist(prev: number): Float64Array {
    const row = this.table[this.tok.vocab[prev]!] ?? this.defaultNext;
    const p = new Float64Array(this.tok.vocab.length);
    for (const [piece, q] of Object.entries(row)) p[this.tok.id(piece)] = q;
    return p;
  }

  async score(requests: readonly ContinuationRequest[]): Promise<ContinuationScore[]> {
    this.calls.push(requests.length);
    return requests.map(({ context, continuation }) => {
      const seq = [...context, ...continuation];
      if (seq.length - 1 > this.maxTokens) throw new Error(`request of ${seq.length - 1} inputs exceeds ${this.maxTokens}`);
      let contextLogprob = 0;
      const tokenLogprobs = new Float64Array(continuation.length);
      const greedy = new Int32Array(continuation.length);
      for (let i = 1; i < seq.length; i++) {
        const p = this.dist(seq[i - 1]!);
        const lp = Math.log(p[seq[i]!]!);
        if (i < context.length) contextLogprob += lp;
        else {
          tokenLogprobs[i - context.length] = lp;
          let best = 0;
          for (let v = 1; v < p.length; v++) if (p[v]! > p[best]!) best = v;
          greedy[i - context.length] = best;
        }
      }
      return { tokenLogprobs, contextLogprob, greedy };
    });
  }
}
