/**
 * Time spent inside chosen MoE layers during training steps, forward and backward, for the
 * synchronous backends (wasm, cpu: a kernel has finished when its call returns, so the wall time
 * around a call is its compute time; on tensorflow/webgpu these figures would be dispatch time).
 *
 * Forward: the wall time of each wrapped `apply`. Backward: the tape nodes that `apply`
 * recorded (tfjs-core's `engine().state.activeTape`, an internal of 4.22) get their gradient
 * functions timed, so the backward kernels of exactly the layers' ops count. Not attributed to
 * the layers: the adds that accumulate gradients between nodes, the gradient-norm readback and
 * the AdamW update of their parameters (see `parameterShare` for the update's likely share).
 */
import { tf } from '../src/models/tf.js';

type GradThunks = Record<string, () => tf.Tensor>;
interface TapeNode { gradient?: (dys: tf.Tensor[]) => GradThunks }
interface Applicable { apply: (...args: never[]) => unknown }

export class MoeTimer {
  forwardMs = 0;
  backwardMs = 0;
  calls = 0;
  private readonly undo: (() => void)[] = [];

  constructor(layers: readonly Applicable[]) {
    for (const layer of layers) {
      const own = Object.prototype.hasOwnProperty.call(layer, 'apply');
      const original = layer.apply;
      const wrapped = (...args: never[]): unknown => {
        const tape = (tf.engine() as unknown as { state: { activeTape: TapeNode[] | null } }).state.activeTape;
        const from = tape?.length ?? 0;
        const t0 = performance.now();
        const out = original.apply(layer, args);
        this.forwardMs += performance.now() - t0;
        this.calls++;
        if (tape) for (let i = from; i < tape.length; i++) this.timeGradient(tape[i]!);
        return out;
      };
      (layer as { apply: unknown }).apply = wrapped;
      this.undo.push(() => {
        if (own) (layer as { apply: unknown }).apply = original;
        else delete (layer as { apply?: unknown }).apply;
      });
    }
  }

  /** Zeroes the counters (after warm-up). */
  reset(): void {
    this.forwardMs = 0;
    this.backwardMs = 0;
    this.calls = 0;
  }

  /** Puts the layers' own `apply` back. */
  restore(): void {
    for (const f of this.undo.splice(0)) f();
  }

  /** The node's gradient function and each input's gradient thunk (where tfjs does the work) add to backwardMs. */
  private timeGradient(node: TapeNode): void {
    const gradient = node.gradient;
    if (!gradient) return;
    node.gradient = (dys) => {
      const t0 = performance.now();
      const thunks = gradient(dys);
      this.backwardMs += performance.now() - t0;
      const timed: GradThunks = {};
      for (const [name, f] of Object.entries(thunks)) {
        timed[name] = () => {
          const t1 = performance.now();
          const dx = f();
          this.backwardMs += performance.now() - t1;
          return dx;
        };
      }
      return timed;
    };
  }
}
