import { tf, type Tensor, type Tensor2D, type Tensor3D } from '../tf.js';
import { rowRange } from './row-range.js';

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
export function groupedReluKv(rows: Tensor2D, keys: Tensor3D, values: Tensor3D, counts: Int32Array): Tensor2D {
  const [e, d, s] = keys.shape;
  const starts = new Int32Array(e + 1);
  for (let i = 0; i < e; i++) starts[i + 1] = starts[i]! + counts[i]!;
  if (starts[e] !== rows.shape[0]) throw new Error(`groupedReluKv: counts sum to ${starts[e]}, rows ${rows.shape[0]}`);
  const f = tf.customGrad(((x: Tensor2D, kk: Tensor3D, vv: Tensor3D, save: tf.GradSaveFunc) => {
    const k2 = tf.reshape(kk, [e * d, s]) as Tensor2D;
    const v2 = tf.reshape(vv, [e * s, d]) as Tensor2D;
    const hs: Tensor2D[] = [];
    const ys: Tensor2D[] = [];
    for (let i = 0; i < e; i++) {
      if (counts[i] === 0) continue;
      const h = tf.relu(tf.matMul(rowRange(x, starts[i]!, counts[i]!), rowRange(k2, i * d, d))) as Tensor2D;
      hs.push(h);
      ys.push(tf.matMul(h, rowRange(v2, i * s, s)));
    }
    save([x, k2, v2, ...hs]);
    return {
      value: ys.length === 1 ? ys[0]! : (tf.concat(ys, 0) as Tensor2D),
      gradFunc: (dy: Tensor2D, saved: Tensor[]) => {
        const [sx, sk, sv, ...sh] = saved as Tensor2D[];
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
          const xe = rowRange(sx!, starts[i]!, counts[i]!);
          const dye = rowRange(dy, starts[i]!, counts[i]!);
          const ke = rowRange(sk!, i * d, d);
          const ve = rowRange(sv!, i * s, s);
          dvs.push(tf.matMul(tf.transpose(h), dye));
          const dh = tf.mul(tf.matMul(dye, tf.transpose(ve)), tf.step(h)) as Tensor2D;
          dks.push(tf.matMul(tf.transpose(xe), dh));
          dxs.push(tf.matMul(dh, tf.transpose(ke)));
        }
        return [
          dxs.length === 1 ? dxs[0]! : tf.concat(dxs, 0),
          tf.reshape(tf.concat(dks, 0), [e, d, s]),
          tf.reshape(tf.concat(dvs, 0), [e, s, d]),
        ];
      },
    };
  }) as never) as unknown as (x: Tensor2D, k: Tensor3D, v: Tensor3D) => Tensor2D;
  return f(rows, keys, values);
}
