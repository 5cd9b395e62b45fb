/** What every model-level runner does the same way: load params by name, make inputs, read gradients. */
import { tf, type Tensor, type Variable } from '../../../src/models/tf.js';
import { assignArray } from '../../../src/models/moe/upcycle-ffn.js';
import type { Got } from './check-expected.js';
import { float32, isEncodedTensor, type EncodedTensor, type ModelCase } from './model-case.js';

/** Every `params` entry into the component's variable of the same (LibMoE / transformers) name. */
export function loadParams(c: ModelCase, variables: ReadonlyMap<string, Variable>): void {
  for (const [name, t] of Object.entries(c.params)) {
    const v = variables.get(name);
    if (!v) throw new Error(`${c.id}: the component has no parameter named ${name} (has ${[...variables.keys()].join(', ')})`);
    if (JSON.stringify(v.shape) !== JSON.stringify(t.shape)) throw new Error(`${c.id}: ${name} has shape ${JSON.stringify(v.shape)}, golden ${JSON.stringify(t.shape)}`);
    assignArray(v, float32(t));
  }
  for (const name of variables.keys()) if (!(name in c.params)) throw new Error(`${c.id}: parameter ${name} is not in the case's params`);
}

export function input(c: ModelCase, name: string): EncodedTensor {
  const t = c.inputs[name];
  if (!isEncodedTensor(t)) throw new Error(`${c.id}: inputs.${name} is not a tensor`);
  return t;
}

/** A float32 input tensor (inputs are float32-exact, so this is lossless). */
export function floatInput(c: ModelCase, name: string): Tensor {
  const t = input(c, name);
  return tf.tensor(float32(t), t.shape, 'float32');
}

/** The differentiable input as a variable (its gradient is `grads.<name>`). */
export function inputVariable(c: ModelCase, name: string): Variable {
  const t = floatInput(c, name);
  const v = tf.variable(t, true);
  t.dispose();
  return v;
}

/**
 * `grads.<name>` for the differentiable input and every parameter. A parameter the objective
 * does not reach has no entry in tf's result: its gradient is zeros, as LibMoE's
 * `params_without_grad` lists.
 */
export function gradsInto(got: Map<string, Got>, grads: Record<string, Tensor>, inputs: ReadonlyMap<string, Variable>, params: ReadonlyMap<string, Variable>): void {
  for (const [name, v] of [...inputs, ...params]) {
    const g = grads[v.name];
    got.set(`grads.${name}`, g ? g.dataSync() : new Float32Array(v.size));
  }
}

/** Host copy of a tensor (int32 stays integer). */
export function host(t: Tensor | Int32Array | Float32Array | number): ArrayLike<number> | number {
  if (typeof t === 'number' || t instanceof Int32Array || t instanceof Float32Array) return t;
  return t.dtype === 'int32' ? Int32Array.from(t.dataSync()) : Float32Array.from(t.dataSync());
}
