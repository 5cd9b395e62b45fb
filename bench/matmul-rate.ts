/** Measured 2-D matMul rate of the current backend (shared by the benches). */
import { tf, type Tensor2D } from '../src/models/tf.js';
import { matMul2D } from '../src/models/kernels/fast-matmul.js';

export interface MatmulRate {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly medianMs: number;
  readonly gflops: number;
}

/**
 * Median time of `reps` plain 2-D matMuls [m,k]×[k,n] (after one warm-up). Each waits for one
 * element of the product (what a GPU needs to have finished it), not the whole product: copying
 * [m, n] out to a fresh JavaScript array costs page faults a training step never pays, as much
 * as a native GEMM's whole product at these sizes.
 */
export async function matmulRate(m: number, k: number, n: number, reps = 5): Promise<MatmulRate> {
  const a = tf.randomNormal([m, k], 0, 1, 'float32', 1) as Tensor2D;
  const b = tf.randomNormal([k, n], 0, 1, 'float32', 2) as Tensor2D;
  const times: number[] = [];
  for (let i = 0; i <= reps; i++) {
    const t0 = performance.now();
    const c = matMul2D(a, b);
    const corner = tf.slice(c, [0, 0], [1, 1]);
    await corner.data();
    tf.dispose([c, corner]);
    if (i > 0) times.push(performance.now() - t0);
  }
  tf.dispose([a, b]);
  const medianMs = median(times);
  return { m, k, n, medianMs: round(medianMs), gflops: round((2 * m * k * n) / (medianMs * 1e6)) };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
