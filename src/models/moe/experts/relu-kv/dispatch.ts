import type { Tensor2D, Tensor3D } from '../../../tf.js';
import type { DispatchPlan } from '../../../kernels/dispatch-rows.js';
import { fusedDispatch } from '../../../kernels/fused-dispatch.js';
import { reluKvBlocks } from './grouped.js';
import type { HiddenObserver } from '../expert-bank.js';

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
export function dispatchReluKv(x: Tensor2D, keys: Tensor3D, values: Tensor3D, w: Tensor2D, plan: DispatchPlan, counts: Int32Array, observe?: HiddenObserver): Tensor2D {
  const bank = reluKvBlocks(keys, counts, plan.m, 'dispatchReluKv');
  return fusedDispatch(x, [keys, values], w, plan, {
    forward: (sorted, [kk, vv]) => {
      const { h, y } = bank.forward(sorted, kk as Tensor3D, vv as Tensor3D);
      observe?.(h);
      return { y, keep: h };
    },
    backward: (dz, sorted, h, [kk, vv]) => {
      const g = bank.backward(dz, sorted, h as Tensor2D[], kk as Tensor3D, vv as Tensor3D);
      return { dx: g.dx, dParams: [g.dk, g.dv] };
    },
  });
}
