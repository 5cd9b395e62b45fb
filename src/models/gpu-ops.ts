import { tf, type Tensor2D } from './tf.js';

/**
 * One dense FFN (relu(x·W1)·W2) forward+backward of sum(y), gradients for x, W1 and W2; returns
 * milliseconds until every gradient is read back asynchronously (no sync read: runs on webgpu).
 */
export async function denseFfnStep(t: number, d: number, h: number): Promise<number> {
  const x = tf.randomNormal([t, d], 0, 1, 'float32', 1) as Tensor2D;
  const w1 = tf.randomNormal([d, h], 0, 0.05, 'float32', 2) as Tensor2D;
  const w2 = tf.randomNormal([h, d], 0, 0.05, 'float32', 3) as Tensor2D;
  await Promise.all([x.data(), w1.data(), w2.data()]);
  const t0 = performance.now();
  const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.matMul(tf.relu(tf.matMul(a, b)), c)))([x, w1, w2]);
  await Promise.all(grads.map((g) => g.data()));
  const ms = performance.now() - t0;
  tf.dispose([x, w1, w2, ...grads]);
  return ms;
}
