import { tf, type Variable } from '../tf.js';

export interface AdamWConfig {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Decoupled weight decay (LibMoE `wd` 0.01), applied to every parameter as torch.optim.AdamW over model.parameters(). */
  readonly weightDecay: number;
}

export const LIBMOE_ADAMW: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

/**
 * AdamW with torch.optim.AdamW's update order:
 *   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
 *   p ← p − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + eps)
 * Moments are non-trainable variables updated in place, so the live-tensor count stays flat.
 */
export class AdamW {
  /** Completed updates (t in the bias corrections). */
  steps = 0;
  readonly m = new Map<string, Variable>();
  readonly v = new Map<string, Variable>();

  constructor(
    readonly params: ReadonlyMap<string, Variable>,
    readonly config: AdamWConfig,
  ) {
    for (const [name, p] of params) {
      // Inside a tidy so the zeros tensors the variables were made from are released.
      this.m.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
      this.v.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    }
  }

  /** Applies one update to every parameter that has a gradient; `gradScale` multiplies every gradient first (global-norm clipping). */
  update(grads: ReadonlyMap<string, tf.Tensor>, lr: number, gradScale: number): void {
    const { beta1, beta2, eps, weightDecay } = this.config;
    const t = this.steps + 1;
    const stepSize = lr / (1 - Math.pow(beta1, t));
    const sqrtBc2 = Math.sqrt(1 - Math.pow(beta2, t));
    for (const [name, p] of this.params) {
      const raw = grads.get(name);
      // torch.optim.AdamW skips parameters whose .grad is None (no decay, no moment update).
      if (raw === undefined) continue;
      // One tidy per parameter: its temporaries (≈8 parameter-sized tensors) are freed before the
      // next one, so the update's peak memory is one parameter's worth, not the whole model's
      // (a 158M-parameter model would otherwise need ~5 GB more than wasm's 4 GiB heap).
      tf.tidy(() => {
        const g = gradScale === 1 ? raw : tf.mul(raw, gradScale);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const mNew = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const vNew = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        m.assign(mNew);
        v.assign(vNew);
        const decayed = weightDecay !== 0 ? tf.mul(p, 1 - lr * weightDecay) : p;
        const denom = tf.add(tf.div(tf.sqrt(vNew), sqrtBc2), eps);
        p.assign(tf.sub(decayed, tf.mul(tf.div(mNew, denom), stepSize)));
      });
    }
    this.steps = t;
  }

  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
  }
}
