import { tf, type Tensor2D, type Variable } from '../../../tf.js';
import { matMul2D } from '../../../kernels/fast-matmul.js';
import { groupedReluKv } from './grouped.js';
import { dispatchReluKv } from './dispatch.js';
import type { ParamFactory } from '../../init.js';
import type { ExpertBank } from '../expert-bank.js';

/**
 * LibMoE's LM experts (σ-MoE): y_e(x) = relu(x·keys[e])·values[e], keys [E, D, s],
 * values [E, s, D], no biases. One variable per tensor as in LibMoE's state_dict; each expert
 * slices its [D, s] / [s, D] matrices (slice's gradient is a pad, available on every backend).
 * Init as LibMoE's σ-MoE layers (moe_layer.py L71/L93): keys N(0, 1/D), values N(0, 1/(count·size))
 * — the fan-in of all the bank's values together, E·s (2s for the fused shared expert) — both
 * before the depth factor √(2/L) that the host model applies.
 */
export function reluKvBank(pf: ParamFactory, count: number, dModel: number, size: number, keysName = 'keys', valuesName = 'values'): ExpertBank {
  const keys = pf.normal(keysName, [count, dModel, size], 1 / Math.sqrt(dModel));
  const values = pf.normal(valuesName, [count, size, dModel], 1 / Math.sqrt(count * size));
  const variables = new Map<string, Variable>([[keysName, keys], [valuesName, values]]);
  return {
    size: count,
    variables,
    run(e, rows) {
      const k = count === 1 ? tf.reshape(keys, [dModel, size]) : tf.reshape(tf.slice(keys, [e, 0, 0], [1, dModel, size]), [dModel, size]);
      const v = count === 1 ? tf.reshape(values, [size, dModel]) : tf.reshape(tf.slice(values, [e, 0, 0], [1, size, dModel]), [size, dModel]);
      return matMul2D(tf.relu(matMul2D(rows, k as Tensor2D)), v as Tensor2D);
    },
    runGrouped: (rows, counts, observe) => groupedReluKv(rows, keys as unknown as tf.Tensor3D, values as unknown as tf.Tensor3D, counts, observe),
    runDispatched: (x, combine, plan, counts, observe) => dispatchReluKv(x, keys as unknown as tf.Tensor3D, values as unknown as tf.Tensor3D, combine, plan, counts, observe),
  };
}
