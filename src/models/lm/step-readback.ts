import { tf } from '../tf.js';
import { NonFiniteError } from './non-finite.js';
import { Readback } from './readback.js';
import { RoutingAccumulator, type LayerCallNumbers } from './routing-stats.js';

/** What one micro-batch adds to its step, as host numbers: a data-parallel worker's report. */
export interface MicroBatchNumbers {
  /** The micro-batch's mean cross-entropy. */
  readonly ce: number;
  /** What was non-finite in it (activations, loss, aux). */
  readonly problems: readonly string[];
  /** Its MoE layer calls, in forward order. */
  readonly calls: readonly LayerCallNumbers[];
}

/**
 * Everything one training step reads back, queued as it is created and read in ONE batch:
 * the NaN/Inf probes of activations, the loss and the gradients, the summed cross-entropy,
 * and the routing statistics. Queued tensors are kept past the tape's tidy and released with
 * this object, so a failure anywhere in the step still frees them.
 */
export class StepReadback {
  private readonly rb = new Readback();
  /** What was non-finite, in the order it was queued. */
  private readonly problems: string[] = [];
  readonly routing = new RoutingAccumulator(this.rb, this.problems);
  /** Σ of the micro-batches' mean cross-entropy (after `readChecked`). */
  ceSum = 0;

  /** The model's activation probe: 0·x sums to 0 iff every entry is finite (no overflow, unlike Σx²). */
  readonly probeActivation = (label: string, x: tf.Tensor): void => {
    this.rb.add(tf.keep(tf.sum(tf.mul(x, 0))), ([v]) => { if (!Number.isFinite(v!)) this.problems.push(`activation:${label}`); });
  };

  /** One micro-batch's cross-entropy: summed into `ceSum`, checked for NaN/Inf. */
  queueLoss(ce: tf.Scalar): void {
    this.rb.add(tf.keep(ce), ([v]) => {
      this.ceSum += v!;
      if (!Number.isFinite(v!)) this.problems.push('loss');
    });
  }

  /** Σ‖g‖² over `names` (checked per parameter); the returned function gives it after `readChecked`. */
  queueGradSquares(names: readonly string[], grads: ReadonlyMap<string, tf.Tensor>): () => number {
    // One tidy per gradient: squaring them all in one scope would hold a second copy of every
    // gradient at once (0.59 GiB for lm-154m).
    const sums = names.map((n) => tf.tidy(() => tf.sum(tf.square(grads.get(n)!))));
    const gradSq = tf.stack(sums);
    tf.dispose(sums);
    let sumSq = 0;
    this.rb.add(gradSq, (vals) => {
      vals.forEach((v, i) => {
        if (!Number.isFinite(v)) this.problems.push(`grad:${names[i]}`);
        sumSq += v;
      });
    });
    return () => sumSq;
  }

  /** Adds a micro-batch computed elsewhere (a worker's `readNumbers`), in micro-batch order. */
  addMicroBatch(n: MicroBatchNumbers): void {
    this.ceSum += n.ce;
    this.problems.push(...n.problems);
    for (const call of n.calls) this.routing.add(call);
  }

  /** Reads a readback that holds exactly one micro-batch and returns its numbers, without throwing on NaN/Inf. */
  async readNumbers(): Promise<MicroBatchNumbers> {
    await this.rb.read();
    return { ce: this.ceSum, problems: [...this.problems], calls: this.routing.calls };
  }

  /** The one device→host read of the step; throws NonFiniteError naming what was NaN/Inf. */
  async readChecked(step: number): Promise<void> {
    await this.rb.read();
    if (this.problems.length > 0) throw new NonFiniteError(step, orderProblems(this.problems));
  }

  dispose(): void {
    this.rb.dispose();
  }
}

/** The first non-finite activation in forward order is the most useful clue; gradients follow. */
function orderProblems(p: string[]): string[] {
  const rank = (s: string): number => (s.startsWith('activation:') ? 0 : s.startsWith('aux:') ? 1 : s === 'loss' ? 2 : 3);
  return [...new Set(p)].sort((a, b) => rank(a) - rank(b));
}
