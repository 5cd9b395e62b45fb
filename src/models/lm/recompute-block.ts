/**
 * Activation recomputation for one transformer block (trainer.recompute): the block's forward
 * runs with the tape off and keeps only its input; the backward runs the block again under a
 * tape of its own and hands back the gradients of the input and of the block's parameters.
 *
 * Why: tfjs keeps every intermediate of the forward, and every intermediate gradient of the
 * backward, until the whole backward ends. For LibMoE's 154M model at sequence 1024 that is
 * several GiB on top of 2.35 GiB of weights, gradients and AdamW moments, past wasm's 4 GiB heap.
 * Recomputed, a block's intermediates live only while that block's backward runs: the peak is
 * one block's activations plus each block's input, for about one extra forward of compute.
 *
 * The block must compute the same thing twice: routing is deterministic, and routers that change
 * their own state during a training forward (DeepSeek's aux-free bias, ReMoE's λ, X-MoE's
 * renormalisation, Hyper-R's dynamic K) are refused by the caller (`statefulRouter`), since a
 * second forward would update them twice.
 *
 * Example (inside a tape):
 *   const { h, moe } = recomputeBlock((x) => block(x), h, layerVariables);
 */
import { tf, type GradSaveFunc, type Scalar, type Tensor, type Tensor2D, type Variable } from '../tf.js';
import type { MoeOutput } from '../moe/types.js';
import type { Json } from '../../base/json.js';

export interface BlockResult {
  /** [B·T, D] the block's output (residual stream). */
  readonly h: Tensor2D;
  /** The block's MoE output, when its FFN is an MoE layer. */
  readonly moe?: MoeOutput;
}

/**
 * Runs `block` on `x` so that its intermediates are not kept for the backward (see above).
 * `params` are every trainable variable the block reads; each gets a gradient (zeros if the
 * block's output does not depend on it). The returned MoE output's `auxTotal` is differentiable
 * (its gradient flows through the recomputation); its other tensors are the first forward's.
 */
export function recomputeBlock(block: (x: Tensor2D) => BlockResult, x: Tensor2D, params: readonly Variable[]): BlockResult {
  const n = x.size;
  const shape = x.shape;
  let first: MoeOutput | undefined;
  let preserved: Tensor[] = [];
  const op = tf.customGrad((...args: (Tensor | GradSaveFunc)[]) => {
    const save = args[args.length - 1] as GradSaveFunc;
    const input = args[0] as Tensor2D;
    // The tape is off inside a custom op's forward, and tfjs runs it in a tidy that keeps only the
    // op's output: every intermediate goes, except the MoE output's tensors, which the step's
    // statistics read; those are kept here and handed back to the caller's scope below.
    const r = block(input);
    first = r.moe;
    preserved = r.moe ? tensorsOf(r.moe).map((t) => tf.keep(t)) : [];
    save([input]);
    return {
      value: pack(r),
      gradFunc: (dy: Tensor, saved: Tensor[]) => backward(block, saved[0] as Tensor2D, params, dy, n, shape),
    };
  });
  const packed = op(x, ...params) as Tensor;
  // Back under the caller's scope, as if the block had run there: whatever the caller does not keep is freed with it.
  const engine = tf.engine() as unknown as { track(t: Tensor): Tensor };
  for (const t of preserved) {
    (t as unknown as { kept: boolean }).kept = false;
    engine.track(t);
  }
  const h = tf.reshape(tf.slice(packed, [0], [n]), shape) as Tensor2D;
  if (!first) return { h };
  const auxTotal = tf.reshape(tf.slice(packed, [n], [1]), []) as Scalar;
  return { h, moe: { ...(first as MoeOutput), auxTotal } };
}

/** The block's output and its aux total (0 without an MoE) as one flat tensor: a custom op has one output. */
function pack(r: BlockResult): Tensor {
  const aux = r.moe ? r.moe.auxTotal : tf.scalar(0);
  return tf.concat([tf.reshape(r.h, [-1]), tf.reshape(aux, [1])]);
}

/** Every tensor an MoE output holds (kept past the forward's tidy). */
function tensorsOf(m: MoeOutput): Tensor[] {
  const out: Tensor[] = [m.y, m.auxTotal, m.gates, ...Object.values(m.aux)];
  for (const v of Object.values(m.stats as unknown as Record<string, unknown>)) if (v instanceof tf.Tensor) out.push(v);
  if (m.hiddenActive) out.push(m.hiddenActive.perRow);
  return out;
}

/** Gradients of [x, ...params] for the packed cotangent `dy`, by running the block again under a tape. */
function backward(block: (x: Tensor2D) => BlockResult, x: Tensor2D, params: readonly Variable[], dy: Tensor, n: number, shape: [number, number]): Tensor[] {
  return tf.tidy(() => {
    const dyH = tf.reshape(tf.slice(dy, [0], [n]), shape);
    const dyAux = tf.reshape(tf.slice(dy, [n], [1]), []);
    // The input as a variable, so one variableGrads call differentiates it and the parameters.
    const input = tf.variable(x, true);
    // tfjs keeps one active tape: a gradient computed inside the outer backward replaces it and,
    // when done, clears it (its cleanup runs at gradient depth 0). The outer backward still needs
    // its tape for its own cleanup (disposing the tensors its nodes saved), so it is put back.
    const engineState = (tf.engine() as unknown as { state: { activeTape: unknown } }).state;
    const outerTape = engineState.activeTape;
    try {
      const { grads } = tf.variableGrads(() => {
        const r = block(input as unknown as Tensor2D);
        const main = tf.sum(tf.mul(r.h, dyH));
        return (r.moe ? tf.add(main, tf.mul(r.moe.auxTotal, dyAux)) : main) as Scalar;
      }, [input, ...params]);
      return [grads[input.name]!, ...params.map((p) => grads[p.name] ?? tf.zerosLike(p))];
    } finally {
      engineState.activeTape = outerTape;
      input.dispose();
    }
  });
}

/** Whether an MoE layer's state makes a second forward unsafe (it would update the state twice). */
export function statefulRouter(state: Json): boolean {
  if (state === null || state === undefined) return false;
  if (typeof state === 'object' && !Array.isArray(state)) return Object.keys(state).length > 0;
  return true;
}
