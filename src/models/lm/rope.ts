import { tf, type Tensor2D } from '../tf.js';

/**
 * Rotary position encoding (GPT-NeoX half-split form, as LibMoE's RotaryPosEncoding) on the
 * first `nRotate` dims of each head; the rest pass through. LibMoE rotates
 * `rotate_fraction · head_dim` dims, rounded down to an even count.
 */
export function rotatedDims(headDim: number, fraction: number): number {
  const n = Math.floor(fraction * headDim);
  return n - (n % 2);
}

/**
 * cos/sin tables [B·T, nRotate/2] for rows laid out as B windows of positions 0..T-1
 * (host-computed in float64, then rounded), so RoPE is elementwise on [B·T, ·] slices.
 */
export function ropeTables(batch: number, seqLen: number, nRotate: number, base: number): { cos: Tensor2D; sin: Tensor2D } {
  const half = nRotate / 2;
  const cos = new Float32Array(batch * seqLen * half);
  const sin = new Float32Array(batch * seqLen * half);
  for (let t = 0; t < seqLen; t++) {
    for (let i = 0; i < half; i++) {
      const angle = t / Math.pow(base, (2 * i) / nRotate);
      for (let b = 0; b < batch; b++) {
        cos[(b * seqLen + t) * half + i] = Math.cos(angle);
        sin[(b * seqLen + t) * half + i] = Math.sin(angle);
      }
    }
  }
  return { cos: tf.tensor2d(cos, [batch * seqLen, half]), sin: tf.tensor2d(sin, [batch * seqLen, half]) };
}

/** cos/sin tables [rows, nRotate/2] for explicit position ids, one per row (shared-context windows). */
export function ropeTablesAt(positions: Int32Array, nRotate: number, base: number): { cos: Tensor2D; sin: Tensor2D } {
  const half = nRotate / 2;
  const cos = new Float32Array(positions.length * half);
  const sin = new Float32Array(positions.length * half);
  for (let r = 0; r < positions.length; r++) {
    for (let i = 0; i < half; i++) {
      // The same float64 angle as ropeTables computes for this position, so values agree bitwise.
      const angle = positions[r]! / Math.pow(base, (2 * i) / nRotate);
      cos[r * half + i] = Math.cos(angle);
      sin[r * half + i] = Math.sin(angle);
    }
  }
  return { cos: tf.tensor2d(cos, [positions.length, half]), sin: tf.tensor2d(sin, [positions.length, half]) };
}

/** x: [B·T, hd] (one head, all windows) → same shape with the first nRotate dims rotated by position. */
export function applyRope(x: Tensor2D, cos: Tensor2D, sin: Tensor2D, nRotate: number): Tensor2D {
  if (nRotate === 0) return x;
  const hd = x.shape[1];
  const half = nRotate / 2;
  const sizes = nRotate < hd ? [half, half, hd - nRotate] : [half, half];
  const [x1, x2, rest] = tf.split(x, sizes, 1) as Tensor2D[];
  const r1 = tf.sub(tf.mul(x1!, cos), tf.mul(x2!, sin));
  const r2 = tf.add(tf.mul(x2!, cos), tf.mul(x1!, sin));
  return tf.concat(rest ? [r1, r2, rest] : [r1, r2], 1) as Tensor2D;
}

/**
 * RoPE for every head at once as two products and a sum: `x ⊙ cos + (x · turn) ⊙ sin` on rows
 * [rows, H·hd]. `turn` [hd, hd] maps a head to LibMoE's rotate-half `[−x2, x1, 0]` (applied to
 * each head as [rows·H, hd]); `cos` holds, per head, cos twice then 1 for the dims not rotated,
 * `sin` sin twice then 0, tiled over the H heads so every product is same-shape (tfjs-wasm's
 * broadcasting multiply is ~3× slower). Every product of `x · turn` has one nonzero term, so it
 * is exact, and the results are `applyRope`'s, bit for bit (x1·cos + (−x2)·sin is x1·cos − x2·sin
 * in IEEE arithmetic). Used where one batched expression beats per-head slices (batched-attention.ts).
 */
export interface HeadRopeTables {
  readonly cos: Tensor2D;
  readonly sin: Tensor2D;
  readonly turn: Tensor2D;
}

/** `HeadRopeTables` for rows at `position(row)`, with the same float64 angles as `ropeTables`/`ropeTablesAt`. */
export function headRopeTables(rows: number, position: (row: number) => number, nRotate: number, headDim: number, nHeads: number, base: number): HeadRopeTables {
  const half = nRotate / 2;
  const width = nHeads * headDim;
  const cos = new Float32Array(rows * width);
  const sin = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const t = position(r);
    for (let i = 0; i < half; i++) {
      const angle = t / Math.pow(base, (2 * i) / nRotate);
      const c = Math.cos(angle), sn = Math.sin(angle);
      for (let h = 0; h < nHeads; h++) {
        const at = r * width + h * headDim;
        cos[at + i] = cos[at + half + i] = c;
        sin[at + i] = sin[at + half + i] = sn;
      }
    }
    for (let h = 0; h < nHeads; h++) for (let i = nRotate; i < headDim; i++) cos[r * width + h * headDim + i] = 1;
  }
  const turn = new Float32Array(headDim * headDim);
  for (let i = 0; i < half; i++) {
    turn[(i + half) * headDim + i] = -1; // out[i] = −x[half + i]
    turn[i * headDim + half + i] = 1; // out[half + i] = x[i]
  }
  return { cos: tf.tensor2d(cos, [rows, width]), sin: tf.tensor2d(sin, [rows, width]), turn: tf.tensor2d(turn, [headDim, headDim]) };
}

/** `applyRope` on every head of [rows, H·hd] at once (see `HeadRopeTables`). */
export function applyRopeAllHeads(x: Tensor2D, tables: HeadRopeTables, nHeads: number, headDim: number): Tensor2D {
  const rows = x.shape[0];
  const turned = tf.reshape(tf.matMul(tf.reshape(x, [rows * nHeads, headDim]), tables.turn), [rows, nHeads * headDim]);
  return tf.add(tf.mul(x, tables.cos), tf.mul(turned, tables.sin)) as Tensor2D;
}
