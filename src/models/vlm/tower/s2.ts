import { tf, type Tensor3D, type Tensor4D } from '../../tf.js';

/**
 * S² (Shi et al., LibMoE's `s2wrapper.multiscale_forward`) image and feature plumbing, with
 * LibMoE's crop order: crop (i, j) of every image, then the next crop, i row-major.
 */

/** [B, C, s·S, s·S] → [s²·B, C, S, S] (`split_chessboard`). */
export function splitChessboard(x: Tensor4D, splits: number): Tensor4D {
  if (splits === 1) return x;
  const [b, c, h] = x.shape;
  const side = h / splits;
  const crops: Tensor4D[] = [];
  for (let i = 0; i < splits; i++) {
    for (let j = 0; j < splits; j++) crops.push(tf.slice(x, [0, 0, i * side, j * side], [b, c, side, side]));
  }
  return tf.concat(crops, 0) as Tensor4D;
}

/**
 * Crop features [s²·B, g·g, D] (patch tokens only) → one grid per image [B, s·g, s·g, D]
 * (`merge_chessboard`, channels last): crop (i, j) fills rows i·g…, columns j·g….
 */
export function mergeChessboard(features: Tensor3D, splits: number): Tensor4D {
  const [n, p, d] = features.shape;
  const b = n / splits ** 2;
  const g = Math.round(Math.sqrt(p));
  if (g * g !== p) throw new Error(`mergeChessboard: ${p} tokens are not a square grid`);
  const crop = (q: number) => tf.reshape(tf.slice(features, [q * b, 0, 0], [b, p, d]), [b, g, g, d]) as Tensor4D;
  const rows: Tensor4D[] = [];
  for (let i = 0; i < splits; i++) {
    const row = Array.from({ length: splits }, (_, j) => crop(i * splits + j));
    rows.push(splits === 1 ? row[0]! : (tf.concat(row, 2) as Tensor4D));
  }
  return splits === 1 ? rows[0]! : (tf.concat(rows, 1) as Tensor4D);
}

/**
 * `F.interpolate(grid, size=g, mode='area')` from s·g to g: with an integer ratio, the mean of
 * each s×s block (an average pool), back to tokens [B, g·g, D].
 */
export function areaPoolTokens(grid: Tensor4D, g: number): Tensor3D {
  const [b, side, , d] = grid.shape;
  const s = side / g;
  if (!Number.isInteger(s)) throw new Error(`areaPoolTokens: grid side ${side} is not a multiple of ${g}`);
  const pooled = s === 1 ? grid : tf.avgPool(grid, s, s, 'valid');
  return tf.reshape(pooled, [b, g * g, d]) as Tensor3D;
}
