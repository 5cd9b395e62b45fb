import { tf, type Tensor2D, type Tensor3D, type Variable } from '../../tf.js';
import { matMul2D } from '../../kernels/fast-matmul.js';
import { readSyncGuarded } from '../../readback.js';
import { geluExact } from '../../kernels/gelu-exact.js';
import { ParamFactory } from '../../moe/init.js';
import type { DenseFfnWeights } from '../../moe/upcycle-ffn.js';
import { projectorInWidth, type ProjectorDims } from './dims.js';

/** What the dense projector computes: the output and the first Linear's output (before GELU). */
export interface DenseProjectorOutput {
  /** [B, T, llm_hidden]. */
  readonly y: Tensor3D;
  /** [B, T, llm_hidden]: `0(x)`, the pre-activation (the golden `fc1_output`). */
  readonly fc1: Tensor3D;
}

/**
 * LLaVA's `mlp2x_gelu` projector: `Sequential(Linear(in, llm), GELU(exact), Linear(llm, llm))`
 * with in = mm_hidden·len(scales). Parameters carry the `mm_projector.bin` names without the
 * `model.mm_projector.` prefix (`0.*`, `2.*`), so a LibMoE checkpoint loads by name.
 */
export class Mlp2xGeluProjector {
  readonly variables: ReadonlyMap<string, Variable>;
  private readonly w1: Variable;
  private readonly b1: Variable;
  private readonly w2: Variable;
  private readonly b2: Variable;

  /** Initialised as torch.nn.Linear (U(±1/√fan_in)) from `seed`. */
  constructor(readonly dims: ProjectorDims, seed = 0) {
    const din = projectorInWidth(dims);
    const h = dims.llmHidden;
    // No name prefix: tf picks unique variable names, so several projectors can coexist.
    const pf = new ParamFactory(seed, '');
    this.w1 = pf.uniform('0.weight', [h, din], 1 / Math.sqrt(din));
    this.b1 = pf.uniform('0.bias', [h], 1 / Math.sqrt(din));
    this.w2 = pf.uniform('2.weight', [h, h], 1 / Math.sqrt(h));
    this.b2 = pf.uniform('2.bias', [h], 1 / Math.sqrt(h));
    this.variables = new Map([['0.weight', this.w1], ['0.bias', this.b1], ['2.weight', this.w2], ['2.bias', this.b2]]);
  }

  /** x [B, T, mm_hidden·len(scales)] → [B, T, llm_hidden]. Call inside a tape or tidy. */
  apply(x: Tensor3D): DenseProjectorOutput {
    const [b, t, d] = x.shape;
    const h = this.dims.llmHidden;
    if (d !== projectorInWidth(this.dims)) throw new Error(`mlp2x_gelu projector: input width ${d}, expects ${projectorInWidth(this.dims)}`);
    const fc1 = tf.add(matMul2D(tf.reshape(x, [b * t, d]) as Tensor2D, tf.transpose(this.w1) as Tensor2D), this.b1) as Tensor2D;
    const y = tf.add(matMul2D(geluExact(fc1), tf.transpose(this.w2) as Tensor2D), this.b2) as Tensor2D;
    return { y: tf.reshape(y, [b, t, h]) as Tensor3D, fc1: tf.reshape(fc1, [b, t, h]) as Tensor3D };
  }

  /** Host copy of the weights: what sparse upcycling copies into every expert. */
  weights(): DenseFfnWeights {
    const f = (v: Variable): Float32Array => Float32Array.from(readSyncGuarded(v, 'projector weights for upcycling (mlp2x-gelu.ts weights)') as Float32Array);
    return { w1: f(this.w1), b1: f(this.b1), w2: f(this.w2), b2: f(this.b2), hidden: this.dims.llmHidden };
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
  }
}
