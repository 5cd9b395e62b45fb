import { tf, type Tensor, type Tensor1D, type Tensor2D } from '../../../tf.js';
import { matMulT } from '../../../kernels/fast-matmul.js';
import { rowRange } from '../../../kernels/row-range.js';

/** One VLM FFN in torch layout: W1 [H, D], b1 [H], W2 [D, H], b2 [D]. */
export interface GeluMlpTensors {
  readonly w1: Tensor2D;
  readonly b1: Tensor1D;
  readonly w2: Tensor2D;
  readonly b2: Tensor1D;
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * All VLM experts in one op: rows [M, D] sorted by expert (counts[e] each) →
 * W2_e·gelu(W1_e·x + b1_e) + b2_e per block, exact erf GELU.
 *
 * A hand-written backward (gelu'(z) = Φ(z) + z·φ(z)) lets torch-layout weights be used
 * without transposing them back and forth: only x_e·W1ᵀ, g·W2ᵀ and two gradient products
 * need an explicit transpose, and dx = dpre·W1, dg = dy·W2 need none. Plain 2-D matMuls
 * only (ts-stack.md §5a).
 */
export function groupedGeluMlp(rows: Tensor2D, experts: readonly GeluMlpTensors[], counts: Int32Array): Tensor2D {
  const e = experts.length;
  const bank = geluMlpBlocks(e, counts, rows.shape[0], 'groupedGeluMlp');
  const f = tf.customGrad(((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const x = args[0] as Tensor2D;
    const p = args.slice(1, 1 + 4 * e) as Tensor[];
    const fw = bank.forward(x, p);
    // The weights are inputs the backward reads straight from `p`: they outlive the tape (layer
    // variables), and each saved tensor costs an Identity kernel (4E of them per call).
    save([x, ...fw.pres, ...fw.cdfs, ...fw.gs]);
    return {
      value: fw.y,
      gradFunc: (dy: Tensor2D, saved: Tensor[]) => {
        const used = (saved.length - 1) / 3;
        const g = bank.backward(dy, saved[0] as Tensor2D, saved.slice(1, 1 + used) as Tensor2D[], saved.slice(1 + used, 1 + 2 * used) as Tensor2D[], saved.slice(1 + 2 * used) as Tensor2D[], p);
        return [g.dx, ...g.dps];
      },
    };
  }) as never) as unknown as (...inputs: Tensor[]) => Tensor2D;
  return f(rows, ...experts.flatMap((w) => [w.w1, w.b1, w.w2, w.b2]));
}

/** The grouped gelu-mlp math for ops that wrap it in their own gradient; `p` = [w1, b1, w2, b2] per expert. */
export interface GeluMlpBlocks {
  forward(x: Tensor2D, p: readonly Tensor[]): { readonly pres: Tensor2D[]; readonly cdfs: Tensor2D[]; readonly gs: Tensor2D[]; readonly y: Tensor2D };
  backward(dy: Tensor2D, x: Tensor2D, pres: readonly Tensor2D[], cdfs: readonly Tensor2D[], gs: readonly Tensor2D[], p: readonly Tensor[]): { readonly dx: Tensor2D; readonly dps: Tensor[] };
}

export function geluMlpBlocks(e: number, counts: Int32Array, rows: number, who: string): GeluMlpBlocks {
  const starts = new Int32Array(e + 1);
  for (let i = 0; i < e; i++) starts[i + 1] = starts[i]! + counts[i]!;
  if (starts[e] !== rows) throw new Error(`${who}: counts sum to ${starts[e]}, rows ${rows}`);
  return {
    forward(x, p) {
      const pres: Tensor2D[] = [];
      const cdfs: Tensor2D[] = [];
      const gs: Tensor2D[] = [];
      const ys: Tensor2D[] = [];
      // One tidy per expert: its row slice and transposed weights are freed as it goes.
      for (let i = 0; i < e; i++) {
        if (counts[i] === 0) continue;
        const [w1, b1, w2, b2] = p.slice(4 * i, 4 * i + 4) as [Tensor2D, Tensor1D, Tensor2D, Tensor1D];
        const [pre, cdf, g, y] = tf.tidy(() => {
          const pre = tf.add(matMulT(rowRange(x, starts[i]!, counts[i]!), w1, false, true), b1) as Tensor2D;
          // Φ(z) = 0.5·(1 + erf(z/√2)), kept for the backward.
          const cdf = tf.mul(tf.add(tf.erf(tf.mul(pre, Math.SQRT1_2)), 1), 0.5) as Tensor2D;
          const g = tf.mul(pre, cdf) as Tensor2D;
          return [pre, cdf, g, tf.add(matMulT(g, w2, false, true), b2) as Tensor2D];
        });
        pres.push(pre!);
        cdfs.push(cdf!);
        gs.push(g!);
        ys.push(y!);
      }
      if (ys.length === 1) return { pres, cdfs, gs, y: ys[0]! };
      const y = tf.concat(ys, 0) as Tensor2D;
      tf.dispose(ys);
      return { pres, cdfs, gs, y };
    },
    backward(dy, sx, sPre, sCdf, sG, p) {
      const dxs: Tensor2D[] = [];
      const dps: Tensor[] = [];
      let j = 0;
      for (let i = 0; i < e; i++) {
        const [w1, b1, w2, b2] = p.slice(4 * i, 4 * i + 4) as [Tensor2D, Tensor1D, Tensor2D, Tensor1D];
        if (counts[i] === 0) {
          dps.push(tf.zerosLike(w1), tf.zerosLike(b1), tf.zerosLike(w2), tf.zerosLike(b2));
          continue;
        }
        const pre = sPre[j]!;
        const cdf = sCdf[j]!;
        const g = sG[j++]!;
        const [dw1, db1, dw2, db2, dx] = tf.tidy(() => {
          const xe = rowRange(sx, starts[i]!, counts[i]!);
          const dye = rowRange(dy, starts[i]!, counts[i]!);
          const dGelu = tf.add(cdf, tf.mul(pre, tf.mul(tf.exp(tf.mul(tf.square(pre), -0.5)), INV_SQRT_2PI)));
          const dPre = tf.mul(tf.matMul(dye, w2), dGelu) as Tensor2D;
          // Bias gradients: column sums (on wasm without a transpose: kernels/wasm-sum-leading.ts,
          // the numbers of the transposed row sums used before).
          return [matMulT(dPre, xe, true), tf.sum(dPre, 0), matMulT(dye, g, true), tf.sum(dye, 0), tf.matMul(dPre, w1)];
        });
        dps.push(dw1!, db1!, dw2!, db2!);
        dxs.push(dx as Tensor2D);
      }
      if (dxs.length === 1) return { dx: dxs[0]!, dps };
      const dx = tf.concat(dxs, 0) as Tensor2D;
      tf.dispose(dxs);
      return { dx, dps };
    },
  };
}
