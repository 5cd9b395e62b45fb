import { tf, type Tensor2D } from '../tf.js';
import { nativeMatMulInUse } from './native-matmul.js';

/**
 * 2-D matMul whose gradient uses an explicit transpose and a plain matMul.
 * tfjs-wasm's transposeA/B flags run at 1–3 GFLOP/s against ~28 for a plain matMul
 * (ARCHITECTURE.md §3), and the built-in matMul gradient uses those flags.
 */
const fastMatMul = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a as Tensor2D, b as Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [Tensor2D, Tensor2D];
      return [tf.matMul(dy as Tensor2D, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy as Tensor2D)];
    },
  };
})  as never);

export function matMul2D(a: Tensor2D, b: Tensor2D): Tensor2D {
  // ONNX Runtime's GEMM takes the transposes as flags at full speed: the stock gradient is best.
  if (nativeMatMulInUse() !== undefined) return tf.matMul(a, b);
  return (fastMatMul as unknown as (a: Tensor2D, b: Tensor2D) => Tensor2D)(a, b);
}

/**
 * a·b with either side transposed (`transA`, `transB`). Where ONNX Runtime multiplies, the
 * transposes are its GEMM's flags (free); elsewhere they are explicit `tf.transpose`s into
 * `matMul2D`, because tfjs-wasm's XNNPACK runs flagged products at 1–3 GFLOP/s. Same values.
 */
export function matMulT(a: Tensor2D, b: Tensor2D, transA = false, transB = false): Tensor2D {
  if (nativeMatMulInUse() !== undefined) return tf.matMul(a, b, transA, transB);
  return matMul2D(transA ? tf.transpose(a) : a, transB ? tf.transpose(b) : b);
}
