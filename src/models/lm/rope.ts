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
