import { tf, type Tensor, type Tensor2D, type Tensor3D } from '../../../tf.js';
import { matMulT } from '../../../kernels/fast-matmul.js';
import { rowRange } from '../../../kernels/row-range.js';
import type { HiddenObserver } from '../expert-bank.js';

/**
 * All LM experts in one op: rows [M, D] sorted by expert (counts[e] rows each) →
 * relu(x_e·keys[e])·values[e] per block, keys [E, D, s], values [E, s, D].
 *
 * One custom gradient for the whole bank (MegaBlocks' grouped GEMM, done as a loop of 2-D
 * matMuls): per-expert weight slices are taken as row ranges of the [E·D, s] / [E·s, D]
 * views, and the weight gradients are assembled with one concat instead of E full-size pads.
 * The backward uses explicit transposes and plain matMuls only (wasm's transpose flags are
 * 10× slower, ts-stack.md §5a).
 */
export function groupedReluKv(rows: Tensor2D, keys: Tensor3D, values: Tensor3D, counts: Int32Array, observe?: HiddenObserver): Tensor2D {
  const bank = reluKvBlocks(keys, counts, rows.shape[0], 'groupedReluKv');
  const f = tf.customGrad(((x: Tensor2D, kk: Tensor3D, vv: Tensor3D, save: tf.GradSaveFunc) => {
    const hs = bank.forward(x, kk, vv);
    observe?.(hs.h);
    // keys/values are layer variables that outlive the tape: the backward reads them from the
    // op's inputs. A saved tensor is a full copy on wasm (its Identity kernel is a memcpy), so
    // saving the weight views kept 2·E·D·s floats alive per call (33 MiB at E 66, D 512, s 128).
    save([x, ...hs.h]);
    return {
      value: hs.y,
      gradFunc: (dy: Tensor2D, saved: Tensor[]) => {
        const [sx, ...sh] = saved as Tensor2D[];
        const g = bank.backward(dy, sx!, sh, kk, vv);
        return [g.dx, g.dk, g.dv];
      },
    };
  }) as never) as unknown as (x: Tensor2D, k: Tensor3D, v: Tensor3D) => Tensor2D;
  return f(rows, keys, values);
}

/** The grouped relu-kv math, forward and backward, for ops that wrap it in their own gradient. */
export interface ReluKvBlocks {
  /** Sorted rows → the non-empty experts' hidden activations and the outputs [M, D]. */
  forward(x: Tensor2D, keys: Tensor3D, values: Tensor3D): { readonly h: Tensor2D[]; readonly y: Tensor2D };
  /** Output gradient [M, D] → gradients of the sorted rows and of keys / values. */
  backward(dy: Tensor2D, x: Tensor2D, h: readonly Tensor2D[], keys: Tensor3D, values: Tensor3D): { readonly dx: Tensor2D; readonly dk: Tensor3D; readonly dv: Tensor3D };
}

export function reluKvBlocks(keys: Tensor3D, counts: Int32Array, rows: number, who: string): ReluKvBlocks {
  const [e, d, s] = keys.shape;
  const starts = new Int32Array(e + 1);
  for (let i = 0; i < e; i++) starts[i + 1] = starts[i]! + counts[i]!;
  if (starts[e] !== rows) throw new Error(`${who}: counts sum to ${starts[e]}, rows ${rows}`);
  return {
    forward(x, kk, vv) {
      const k2 = tf.reshape(kk, [e * d, s]) as Tensor2D;
      const v2 = tf.reshape(vv, [e * s, d]) as Tensor2D;
      const h: Tensor2D[] = [];
      const ys: Tensor2D[] = [];
      // One tidy per expert: its row and weight slices (2·D·s floats of weights per expert)
      // are freed as it goes instead of piling up until the op returns (the layer's peak).
      for (let i = 0; i < e; i++) {
        if (counts[i] === 0) continue;
        const [hi, yi] = tf.tidy(() => {
          const hh = tf.relu(tf.matMul(rowRange(x, starts[i]!, counts[i]!), rowRange(k2, i * d, d))) as Tensor2D;
          return [hh, tf.matMul(hh, rowRange(v2, i * s, s))];
        });
        h.push(hi!);
        ys.push(yi!);
      }
      if (ys.length === 1) return { h, y: ys[0]! };
      const y = tf.concat(ys, 0) as Tensor2D;
      tf.dispose(ys);
      return { h, y };
    },
    backward(dy, x, sh, kk, vv) {
      const sk = tf.reshape(kk, [e * d, s]) as Tensor2D;
      const sv = tf.reshape(vv, [e * s, d]) as Tensor2D;
      const dxs: Tensor2D[] = [];
      const dks: Tensor2D[] = [];
      const dvs: Tensor2D[] = [];
      let j = 0;
      for (let i = 0; i < e; i++) {
        if (counts[i] === 0) {
          dks.push(tf.zeros([d, s]));
          dvs.push(tf.zeros([s, d]));
          continue;
        }
        const h = sh[j++]!;
        const [dv, dk, dx] = tf.tidy(() => {
          const xe = rowRange(x, starts[i]!, counts[i]!);
          const dye = rowRange(dy, starts[i]!, counts[i]!);
          const ke = rowRange(sk, i * d, d);
          const ve = rowRange(sv, i * s, s);
          const dh = tf.mul(matMulT(dye, ve, false, true), tf.step(h)) as Tensor2D;
          return [matMulT(h, dye, true), matMulT(xe, dh, true), matMulT(dh, ke, false, true)];
        });
        dvs.push(dv!);
        dks.push(dk!);
        dxs.push(dx!);
      }
      const joined = (parts: Tensor2D[]): Tensor2D => {
        if (parts.length === 1) return parts[0]!;
        const all = tf.concat(parts, 0) as Tensor2D;
        tf.dispose(parts);
        return all;
      };
      return {
        dx: joined(dxs),
        dk: tf.reshape(joined(dks), [e, d, s]) as Tensor3D,
        dv: tf.reshape(joined(dvs), [e, s, d]) as Tensor3D,
      };
    },
  };
}
