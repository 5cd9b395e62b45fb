import type { Tensor, Tensor2D } from '../../../tf.js';
import type { DispatchPlan } from '../../../kernels/dispatch-rows.js';
import { fusedDispatch } from '../../../kernels/fused-dispatch.js';
import { geluMlpBlocks, type GeluMlpTensors } from './grouped.js';

/**
 * Gather → grouped gelu-mlp experts → weighted combine as ONE custom gradient, the VLM twin
 * of `dispatchReluKv` (see there for why): x [N, D], w [N, K] → y [N, D], the same ops in the
 * same order as the split path, keeping x, the per-slot picks and the FFN activations only.
 */
export function dispatchGeluMlp(x: Tensor2D, experts: readonly GeluMlpTensors[], w: Tensor2D, plan: DispatchPlan, counts: Int32Array): Tensor2D {
  const bank = geluMlpBlocks(experts.length, counts, plan.m, 'dispatchGeluMlp');
  return fusedDispatch(x, experts.flatMap((t) => [t.w1, t.b1, t.w2, t.b2]), w, plan, {
    forward: (sorted, p) => {
      const fw = bank.forward(sorted, p as Tensor[]);
      return { y: fw.y, keep: [...fw.pres, ...fw.cdfs, ...fw.gs] };
    },
    backward: (dz, sorted, keep, p) => {
      const acts = keep as Tensor2D[];
      const used = acts.length / 3;
      const g = bank.backward(dz, sorted, acts.slice(0, used), acts.slice(used, 2 * used), acts.slice(2 * used), p as Tensor[]);
      return { dx: g.dx, dParams: g.dps };
    },
  });
}
