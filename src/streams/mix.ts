import { Rng, type RngState } from '../base/random.js';
import type { Flow, Json, Stage, StageState, StageStats } from './stage.js';

export interface MixInput<T> {
  readonly flow: Flow<T>;
  /** Relative weight (> 0): the share of items drawn from this flow while all are running. */
  readonly weight: number;
}

export interface MixOptions {
  seed: number;
  /**
   * 'first_exhausted' (default): end as soon as a drawn flow has nothing left, so the proportions
   * hold to the end. 'all_exhausted': drop an exhausted flow and renormalise the other weights.
   */
  stopping?: 'first_exhausted' | 'all_exhausted';
}

interface MixState {
  rng: RngState;
  exhausted: boolean[];
  ended: boolean;
  drawn: number[];
  children: StageState[];
}

/**
 * Weighted, seeded mixing of several flows. Each item comes from flow i with probability
 * weight_i / Σ weights of the flows still running, drawn from one Rng. The state holds every
 * child's state, the Rng state, which children are exhausted and whether the mix has ended,
 * so a resumed mix draws exactly the same sequence.
 */
export function mix<T>(inputs: readonly MixInput<T>[], options: MixOptions): Flow<T> {
  if (inputs.length === 0) throw new Error('mix: needs at least one flow');
  inputs.forEach((input, i) => {
    if (!(input.weight > 0) || !Number.isFinite(input.weight)) throw new Error(`mix: weight ${i} must be a finite number > 0, got ${input.weight}`);
  });
  const stopping = options.stopping ?? 'first_exhausted';
  return (resume?: StageState) => {
    const saved = resume === undefined ? undefined : checkState(resume, inputs.length);
    const rng = new Rng(saved?.rng ?? new Rng(options.seed).state());
    const exhausted = saved ? [...saved.exhausted] : inputs.map(() => false);
    const drawn = saved ? [...saved.drawn] : inputs.map(() => 0);
    let ended = saved?.ended ?? false;
    const children = inputs.map((input, i) => input.flow(saved?.children[i]));
    const iterators = children.map((child) => child[Symbol.asyncIterator]());

    const pick = (): number => {
      let total = 0;
      for (let i = 0; i < inputs.length; i++) if (!exhausted[i]) total += inputs[i]!.weight;
      let x = rng.next() * total;
      let last = -1;
      for (let i = 0; i < inputs.length; i++) {
        if (exhausted[i]) continue;
        last = i;
        x -= inputs[i]!.weight;
        if (x < 0) return i;
      }
      return last; // rounding at the top end
    };

    const stage: Stage<T> = {
      state: (): Json => ({ rng: [...rng.state()], exhausted: [...exhausted], ended, drawn: [...drawn], children: children.map((c) => c.state()) }),
      stats: (): StageStats => ({ drawn: [...drawn], exhausted: [...exhausted], children: children.map((c) => c.stats?.() ?? null) }),
      close: async () => { await Promise.all(children.map((c) => c.close?.())); },
      async *[Symbol.asyncIterator]() {
        try {
          while (!ended && exhausted.includes(false)) {
            const i = pick();
            const next = await iterators[i]!.next();
            if (next.done) {
              exhausted[i] = true;
              if (stopping === 'first_exhausted') ended = true;
              continue;
            }
            drawn[i]!++;
            yield next.value;
          }
          ended = true;
        } finally {
          await Promise.all(iterators.map((it) => it.return?.()));
        }
      },
    };
    return stage;
  };
}

function checkState(state: StageState, count: number): MixState {
  const s = state as unknown as MixState;
  if (state === null || typeof state !== 'object' || !Array.isArray(s.children) || s.children.length !== count || !Array.isArray(s.rng)) {
    throw new Error(`mix: resume state does not match a mix of ${count} flows: ${JSON.stringify(state).slice(0, 120)}`);
  }
  return s;
}
