import { tf, type Tensor, type Tensor1D, type Tensor2D } from '../tf.js';
import { combineForward, combineGrad, gatherTokensGrad, type DispatchPlan } from './dispatch-rows.js';
import { geluMlpBlocks, type GeluMlpTensors } from './grouped-gelu-mlp.js';
import { takeRows } from './take-rows.js';

/**
 * Gather → grouped gelu-mlp experts → weighted combine as ONE custom gradient, the VLM twin
 * of `dispatchReluKv` (see there for why): x [N, D], w [N, K] → y [N, D], the same ops in the
 * same order as the split path, keeping x, the per-slot picks and the FFN activations only.
 */
export function dispatchGeluMlp(x: Tensor2D, experts: readonly GeluMlpTensors[], w: Tensor2D, plan: DispatchPlan, counts: Int32Array): Tensor2D {
  const e = experts.length;
  const bank = geluMlpBlocks(e, counts, plan.m, 'dispatchGeluMlp');
  const k = plan.k;
  const f = tf.customGrad(((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const xx = args[0] as Tensor2D;
    const p = args.slice(1, 1 + 4 * e) as Tensor[];
    const ww = args[1 + 4 * e] as Tensor2D;
    const sorted = takeRows(xx, plan.token);
    const fw = bank.forward(sorted, p);
    sorted.dispose();
    const { picked, y } = combineForward(fw.y, ww, plan);
    fw.y.dispose();
    // The weights are layer variables (they outlive the tape): read from `p` in backward.
    save([xx, ww, plan.token, plan.slot, ...plan.rowOf, ...picked, ...fw.pres, ...fw.cdfs, ...fw.gs]);
    return {
      value: y,
      gradFunc: (dy: Tensor2D, saved: Tensor[]) => {
        const [sx, sw, token, slot] = saved as [Tensor2D, Tensor2D, Tensor1D, Tensor1D];
        const rowOf = saved.slice(4, 4 + k) as Tensor1D[];
        const g = saved.slice(4 + k, 4 + 2 * k) as Tensor2D[];
        const acts = saved.slice(4 + 2 * k) as Tensor2D[];
        const used = acts.length / 3;
        const { dz, dw } = combineGrad(dy, sw, token, slot, g, plan);
        const grads = bank.backward(dz, takeRows(sx, token), acts.slice(0, used), acts.slice(used, 2 * used), acts.slice(2 * used), p);
        return [gatherTokensGrad(grads.dx, rowOf), ...grads.dps, dw];
      },
    };
  }) as never) as unknown as (...inputs: Tensor[]) => Tensor2D;
  return f(x, ...experts.flatMap((t) => [t.w1, t.b1, t.w2, t.b2]), w);
}
