import { tf, type Tensor2D, type Variable } from '../../../tf.js';
import { matMul2D, matMulT } from '../../../kernels/fast-matmul.js';
import { geluExact } from '../../../kernels/gelu-exact.js';
import { activate, type MlpActivation } from '../../../kernels/activations.js';
import { groupedGeluMlp, type GeluMlpTensors } from './grouped.js';
import { dispatchGeluMlp } from './dispatch.js';
import type { ParamFactory } from '../../init.js';
import type { ExpertBank } from '../expert-bank.js';
import type { GeluMlpNames } from '../../types.js';

/** Weights of one VLM FFN in torch layout: W1 [H, D], b1 [H], W2 [D_out, H], b2 [D_out] (D_out = D but in the MoE projector). */
export interface GeluMlpWeights {
  readonly w1: Variable;
  readonly b1: Variable;
  readonly w2: Variable;
  readonly b2: Variable;
}

/** FFN(x) = W2·act(W1·x + b1) + b2, act exact GELU unless given (LibMoE's VLM experts; the towers' MLPs). */
export function geluMlp(w: GeluMlpWeights, rows: Tensor2D, act: MlpActivation = 'gelu'): Tensor2D {
  const pre = tf.add(matMulT(rows, w.w1 as Tensor2D, false, true), w.b1) as Tensor2D;
  const h = act === 'gelu' ? geluExact(pre) : activate(act, pre);
  return tf.add(matMulT(h, w.w2 as Tensor2D, false, true), w.b2) as Tensor2D;
}

/**
 * E FFNs named `{prefix}{first+e}.0.weight` … as LibMoE's `experts` ModuleList
 * (`Sequential(Linear, GELU, Linear)`), or `….fc1.weight` … with `names: 'fc'` (the vision
 * towers' `CLIPMLP`/`SiglipMLP` experts). Default init: torch.nn.Linear's U(±1/√fan_in).
 * The grouped and fused paths hand-code exact GELU's derivative; another activation runs
 * expert by expert under autodiff.
 * `dOut` ≠ `dModel` gives LibMoE's in ≠ out experts (the MoE projector: Linear(in, out) →
 * GELU → Linear(out, out), so there hidden = dOut).
 */
export function geluMlpBank(pf: ParamFactory, count: number, dModel: number, hidden: number, first = 0, prefix = 'experts.', act: MlpActivation = 'gelu', names: GeluMlpNames = 'sequential', dOut = dModel): ExpertBank & { weights: GeluMlpWeights[] } {
  const [l1, l2] = names === 'fc' ? ['fc1', 'fc2'] : ['0', '2'];
  const variables = new Map<string, Variable>();
  const weights: GeluMlpWeights[] = [];
  for (let e = 0; e < count; e++) {
    const p = `${prefix}${first + e}.`;
    const w: GeluMlpWeights = {
      w1: pf.uniform(`${p}${l1}.weight`, [hidden, dModel], 1 / Math.sqrt(dModel)),
      b1: pf.uniform(`${p}${l1}.bias`, [hidden], 1 / Math.sqrt(dModel)),
      w2: pf.uniform(`${p}${l2}.weight`, [dOut, hidden], 1 / Math.sqrt(hidden)),
      b2: pf.uniform(`${p}${l2}.bias`, [dOut], 1 / Math.sqrt(hidden)),
    };
    variables.set(`${p}${l1}.weight`, w.w1).set(`${p}${l1}.bias`, w.b1).set(`${p}${l2}.weight`, w.w2).set(`${p}${l2}.bias`, w.b2);
    weights.push(w);
  }
  if (act !== 'gelu') return { size: count, variables, weights, run: (e, rows) => geluMlp(weights[e]!, rows, act) };
  return {
    size: count, variables, weights,
    run: (e, rows) => geluMlp(weights[e]!, rows),
    runGrouped: (rows, counts) => groupedGeluMlp(rows, weights as unknown as GeluMlpTensors[], counts),
    runDispatched: (x, combine, plan, counts) => dispatchGeluMlp(x, weights as unknown as GeluMlpTensors[], combine, plan, counts),
  };
}
