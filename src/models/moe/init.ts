import { tf, type Variable } from '../tf.js';
import { Rng } from '../../base/random.js';

/**
 * Seeded parameter creation. Every parameter is drawn from its own stream derived from
 * (layer seed, parameter name), so initial values do not depend on creation order.
 */
export class ParamFactory {
  constructor(private readonly seed: number, private readonly prefix: string) {}

  normal(name: string, shape: number[], std: number): Variable {
    return this.make(name, shape, normalArray(Rng.derive(this.seed, name), size(shape), std));
  }

  uniform(name: string, shape: number[], bound: number): Variable {
    const rng = Rng.derive(this.seed, name);
    const data = new Float32Array(size(shape));
    for (let i = 0; i < data.length; i++) data[i] = (rng.next() * 2 - 1) * bound;
    return this.make(name, shape, data);
  }

  /**
   * torch.nn.init.orthogonal_ on a 2-D [rows, cols] tensor: Q of the QR decomposition of an
   * N(0, 1) matrix (transposed first when rows < cols), with R's diagonal made positive, times
   * `gain`. Orthonormal columns (rows when rows < cols), scaled to norm `gain`.
   */
  orthogonal(name: string, shape: [number, number], gain: number): Variable {
    const [rows, cols] = shape;
    const tall = rows >= cols;
    const [n, m] = tall ? [rows, cols] : [cols, rows];
    const a = Float64Array.from(normalArray(Rng.derive(this.seed, name), n * m, 1));
    // Modified Gram–Schmidt on the m columns of the row-major [n, m] matrix `a`: the same Q
    // as a Householder QR followed by torch's sign fix (q *= sign(diag(r))).
    for (let j = 0; j < m; j++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += a[i * m + k]! * a[i * m + j]!;
        for (let i = 0; i < n; i++) a[i * m + j]! -= dot * a[i * m + k]!;
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += a[i * m + j]! ** 2;
      norm = Math.sqrt(norm);
      for (let i = 0; i < n; i++) a[i * m + j]! /= norm;
    }
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) data[tall ? i * cols + j : j * cols + i] = gain * a[i * m + j]!;
    return this.make(name, shape, data);
  }

  fromArray(name: string, shape: number[], data: Float32Array, trainable = true): Variable {
    return this.make(name, shape, data, trainable);
  }

  private make(name: string, shape: number[], data: Float32Array, trainable = true): Variable {
    // Without a prefix, tf picks a unique variable name (two layers may share LibMoE names).
    const varName = this.prefix ? this.prefix + name : undefined;
    const init = tf.tensor(data, shape, 'float32');
    const v = tf.variable(init, trainable, varName);
    init.dispose();
    return v;
  }
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** N(0, std²) draws (Box–Muller), rounded to float32. */
export function normalArray(rng: Rng, n: number, std: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = 1 - rng.next();
    const u2 = rng.next();
    const r = Math.sqrt(-2 * Math.log(u1)) * std;
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}
