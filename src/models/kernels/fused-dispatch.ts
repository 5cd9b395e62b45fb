import { tf, type Tensor, type Tensor1D, type Tensor2D } from '../tf.js';
import { combineForward, combineGrad, gatherTokensGrad, type DispatchPlan } from './dispatch-rows.js';
import { takeRows } from './take-rows.js';

/** What an expert bank contributes to a fused dispatch: its math on the rows in expert order. */
export interface FusedBank {
  /** Sorted rows [M, D] → outputs [M, D] and the activations the backward needs (saved). */
  forward(sorted: Tensor2D, params: readonly Tensor[]): { readonly y: Tensor2D; readonly keep: readonly Tensor[] };
  /** Output gradient [M, D], the sorted rows (gathered again) and the kept activations → gradients of the rows and of each param. */
  backward(dz: Tensor2D, sorted: Tensor2D, keep: readonly Tensor[], params: readonly Tensor[]): { readonly dx: Tensor2D; readonly dParams: readonly Tensor[] };
}

/**
 * Gather → expert bank → weighted combine as ONE custom gradient (x [N, D], w [N, K] → y [N, D]),
 * the skeleton shared by the relu-kv and gelu-mlp dispatches (see moe/experts/relu-kv/dispatch.ts for why).
 * It saves x, w, the plan's indices, the per-slot picks and the bank's activations; the params
 * are layer variables that outlive the tape, so the backward reads them from the op's inputs
 * (a saved tensor would be a copy on wasm).
 */
export function fusedDispatch(x: Tensor2D, params: readonly Tensor[], w: Tensor2D, plan: DispatchPlan, bank: FusedBank): Tensor2D {
  const k = plan.k;
  const np = params.length;
  const f = tf.customGrad(((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const xx = args[0] as Tensor2D;
    const p = args.slice(1, 1 + np) as Tensor[];
    const ww = args[1 + np] as Tensor2D;
    // Each [M, D] intermediate is released as soon as the next one exists: the op's own
    // scope would otherwise hold them all until it returns (the layer's peak).
    const sorted = takeRows(xx, plan.token);
    const fw = bank.forward(sorted, p);
    sorted.dispose();
    const { picked, y } = combineForward(fw.y, ww, plan);
    fw.y.dispose();
    save([xx, ww, plan.token, plan.slot, ...plan.rowOf, ...picked, ...fw.keep]);
    return {
      value: y,
      gradFunc: (dy: Tensor2D, saved: Tensor[]) => {
        const [sx, sw, token, slot] = saved as [Tensor2D, Tensor2D, Tensor1D, Tensor1D];
        const rowOf = saved.slice(4, 4 + k) as Tensor1D[];
        const g = saved.slice(4 + k, 4 + 2 * k) as Tensor2D[];
        const keep = saved.slice(4 + 2 * k);
        const { dz, dw } = combineGrad(dy, sw, token, slot, g, plan);
        const grads = bank.backward(dz, takeRows(sx, token), keep, p);
        return [gatherTokensGrad(grads.dx, rowOf), ...grads.dParams, dw];
      },
    };
  }) as never) as unknown as (...inputs: Tensor[]) => Tensor2D;
  return f(x, ...params, w);
}
