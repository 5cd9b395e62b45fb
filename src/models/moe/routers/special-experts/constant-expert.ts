import { tf, type Tensor2D, type Variable } from '../../../tf.js';
import { matMul2D } from '../../../kernels/fast-matmul.js';
import type { ParamFactory } from '../../init.js';
import type { ExpertBank } from '../../experts/expert-bank.js';

/**
 * MoE++'s constant expert (`ConstantExpert`): a = softmax(x·W_cᵀ) with W_c [2, D], output
 * a₀·x + a₁·c with a learned vector c [D]. Parameters `experts.{index}.constant` and
 * `experts.{index}.wg.weight`, init as LibMoE: c ~ N(0, 0.002), W_c ~ N(0, 0.02).
 * (MoE++'s zero expert computes nothing, so it is a router slot without a bank entry.)
 */
export function constantExpertBank(pf: ParamFactory, index: number, dModel: number): ExpertBank {
  const c = pf.normal(`experts.${index}.constant`, [dModel], 0.002);
  const wg = pf.normal(`experts.${index}.wg.weight`, [2, dModel], 0.02);
  const variables = new Map<string, Variable>([[`experts.${index}.constant`, c], [`experts.${index}.wg.weight`, wg]]);
  return {
    size: 1,
    variables,
    run(_e, rows) {
      const a = tf.softmax(matMul2D(rows, tf.transpose(wg) as Tensor2D));
      const [a0, a1] = tf.split(a, 2, 1) as [Tensor2D, Tensor2D];
      return tf.add(tf.mul(a0, rows), tf.mul(a1, tf.reshape(c, [1, dModel]))) as Tensor2D;
    },
  };
}
