import { tf, type Tensor, type Tensor1D, type Tensor2D, type Tensor3D } from '../tf.js';
import { combineForward, combineGrad, gatherTokensGrad, type DispatchPlan } from './dispatch-rows.js';
import { reluKvBlocks } from './grouped-relu-kv.js';
import { takeRows } from './take-rows.js';

/**
 * Gather → grouped relu-kv experts → weighted combine as ONE custom gradient: tokens
 * x [N, D] and combine weights w [N, K] → y [N, D]. The same ops in the same order as
 * gatherTokens + groupedReluKv + combineRows (identical numbers), but the [M, D] rows in
 * expert order and the expert outputs [M, D] (M = N·K dropless) live only inside the op.
 *
 * Why: on wasm every tensor handed to `save` is a full copy (the Identity kernel is a memcpy),
 * and every op output stays alive in the tape until backward. Split into three ops, a layer
 * kept four [M, D] tensors per call (the sorted rows and their saved copy, the expert outputs
 * and the per-slot picks); fused, it keeps x [N, D] (the sorted rows are gathered again in
 * the backward, one GatherNd) and the per-slot picks the weight gradient needs.
 */
export function dispatchReluKv(x: Tensor2D, keys: Tensor3D, values: Tensor3D, w: Tensor2D, plan: DispatchPlan, counts: Int32Array): Tensor2D {
  const bank = reluKvBlocks(keys, counts, plan.m, 'dispatchReluKv');
  const k = plan.k;
  const f = tf.customGrad(((xx: Tensor2D, kk: Tensor3D, vv: Tensor3D, ww: Tensor2D, save: tf.GradSaveFunc) => {
    // Each [M, D] intermediate is released as soon as the next one exists: the op's own
    // scope would otherwise hold them all until it returns (the layer's peak).
    const sorted = takeRows(xx, plan.token);
    const { h, y: z } = bank.forward(sorted, kk, vv);
    sorted.dispose();
    const { picked, y } = combineForward(z, ww, plan);
    z.dispose();
    // keys/values are layer variables (they outlive the tape): read from the inputs.
    save([xx, ww, plan.token, plan.slot, ...plan.rowOf, ...picked, ...h]);
    return {
      value: y,
      gradFunc: (dy: Tensor2D, saved: Tensor[]) => {
        const [sx, sw, token, slot] = saved as [Tensor2D, Tensor2D, Tensor1D, Tensor1D];
        const rowOf = saved.slice(4, 4 + k) as Tensor1D[];
        const g = saved.slice(4 + k, 4 + 2 * k) as Tensor2D[];
        const sh = saved.slice(4 + 2 * k) as Tensor2D[];
        const { dz, dw } = combineGrad(dy, sw, token, slot, g, plan);
        const grads = bank.backward(dz, takeRows(sx, token), sh, kk, vv);
        return [gatherTokensGrad(grads.dx, rowOf), grads.dk, grads.dv, dw];
      },
    };
  }) as never) as unknown as (x: Tensor2D, k: Tensor3D, v: Tensor3D, w: Tensor2D) => Tensor2D;
  return f(x, keys, values, w);
}
