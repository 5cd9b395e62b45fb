/**
 * An independent float64 forward pass of the dense LM in plain TypeScript (loops, no tfjs),
 * used as the oracle for the tfjs model's loss and, by central differences in float64,
 * for its gradients.
 */
import type { ResolvedLmConfig } from '../../src/models/lm/config.js';
import { rotatedDims } from '../../src/models/lm/rope.js';

export type Params64 = Map<string, { data: Float64Array; shape: number[] }>;

function matmul(a: Float64Array, n: number, k: number, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let p = 0; p < k; p++) {
    const av = a[i * k + p]!;
    for (let j = 0; j < m; j++) out[i * m + j]! += av * b[p * m + j]!;
  }
  return out;
}

function layerNorm(x: Float64Array, n: number, d: number, g: Float64Array, b: Float64Array, eps: number): Float64Array {
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let j = 0; j < d; j++) mean += x[i * d + j]!;
    mean /= d;
    let v = 0;
    for (let j = 0; j < d; j++) v += (x[i * d + j]! - mean) ** 2;
    v /= d;
    const inv = 1 / Math.sqrt(v + eps);
    for (let j = 0; j < d; j++) out[i * d + j] = (x[i * d + j]! - mean) * inv * g[j]! + b[j]!;
  }
  return out;
}

/** Mean next-token cross-entropy of the dense LM, in float64. */
export function referenceLoss(c: ResolvedLmConfig, P: Params64, inputs: Int32Array, targets: Int32Array, B: number, T: number): number {
  if (c.ffn.kind !== 'dense') throw new Error('reference covers the dense LM only');
  const { dModel: D, nHeads: H, headDim: hd, vocabSize: V } = c;
  const N = B * T;
  const p = (name: string) => P.get(name)!.data;
  let h = new Float64Array(N * D);
  for (let n = 0; n < N; n++) for (let j = 0; j < D; j++) h[n * D + j] = p('embedding.weight')[inputs[n]! * D + j]!;
  const nRot = rotatedDims(hd, c.ropeFraction);
  const half = nRot / 2;
  const rope = (vec: Float64Array, t: number) => {
    const r = Float64Array.from(vec);
    for (let i = 0; i < half; i++) {
      const ang = t / Math.pow(c.ropeBase, (2 * i) / nRot);
      const x1 = vec[i]!, x2 = vec[i + half]!;
      r[i] = x1 * Math.cos(ang) - x2 * Math.sin(ang);
      r[i + half] = x2 * Math.cos(ang) + x1 * Math.sin(ang);
    }
    return r;
  };
  for (let l = 0; l < c.nLayers; l++) {
    const pre = `layers.${l}.`;
    const a = layerNorm(h, N, D, p(`${pre}ln1.weight`), p(`${pre}ln1.bias`), c.layerNormEps);
    const qkv = matmul(a, N, D, p(`${pre}attn.qkv`), 3 * H * hd);
    const merged = new Float64Array(N * H * hd);
    const vecAt = (s: number, b: number, t: number, head: number) => qkv.subarray((b * T + t) * 3 * H * hd + s * H * hd + head * hd, (b * T + t) * 3 * H * hd + s * H * hd + (head + 1) * hd);
    for (let b = 0; b < B; b++) for (let head = 0; head < H; head++) {
      const qs: Float64Array[] = [], ks: Float64Array[] = [];
      for (let t = 0; t < T; t++) {
        qs.push(rope(vecAt(0, b, t, head), t).map((x) => x / Math.sqrt(hd)));
        ks.push(rope(vecAt(1, b, t, head), t));
      }
      for (let t = 0; t < T; t++) {
        const s = [];
        for (let u = 0; u <= t; u++) s.push(qs[t]!.reduce((acc, x, j) => acc + x * ks[u]![j]!, 0));
        const m = Math.max(...s);
        const e = s.map((x) => Math.exp(x - m));
        const z = e.reduce((x, y) => x + y, 0);
        for (let u = 0; u <= t; u++) {
          const v = vecAt(2, b, u, head);
          for (let j = 0; j < hd; j++) merged[(b * T + t) * H * hd + head * hd + j]! += (e[u]! / z) * v[j]!;
        }
      }
    }
    const att = matmul(merged, N, H * hd, p(`${pre}attn.out`), D);
    h = h.map((x, i) => x + att[i]!);
    const f = layerNorm(h, N, D, p(`${pre}ln2.weight`), p(`${pre}ln2.bias`), c.layerNormEps);
    const w = c.ffn.hidden;
    const hid = matmul(f, N, D, p(`${pre}ffn.w1`), w).map((x) => Math.max(0, x));
    const ff = matmul(hid, N, w, p(`${pre}ffn.w2`), D);
    h = h.map((x, i) => x + ff[i]!);
  }
  const fin = layerNorm(h, N, D, p('ln_f.weight'), p('ln_f.bias'), c.layerNormEps);
  const logits = matmul(fin, N, D, p('lm_head.weight'), V);
  let loss = 0;
  for (let n = 0; n < N; n++) {
    const row = logits.subarray(n * V, (n + 1) * V);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((acc, x) => acc + Math.exp(x - m), 0));
    loss += lse - row[targets[n]!]!;
  }
  return loss / N;
}
