import { tf, type Variable } from '../tf.js';

/** Host parameter values by checkpoint name, float32, with their torch shapes. */
export interface HostParam {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}
export type NamedParams = Readonly<Record<string, HostParam>>;

/**
 * Overwrites `variables` by name. Every given name must be one of them with its shape; unless
 * `partial`, every variable must be given. Everything is checked before anything is assigned,
 * so a refused load leaves the model as it was. Errors start with `owner` and name the parameter.
 */
export function assignNamedParams(owner: string, variables: ReadonlyMap<string, Variable>, params: NamedParams, opts: { partial?: boolean } = {}): void {
  for (const [name, p] of Object.entries(params)) {
    const v = variables.get(name);
    if (!v) throw new Error(`${owner}: unknown parameter '${name}'`);
    if (p.shape.length !== v.shape.length || p.shape.some((s, i) => s !== v.shape[i])) {
      throw new Error(`${owner}: parameter '${name}' has shape [${p.shape.join(', ')}], expected [${v.shape.join(', ')}]`);
    }
    if (p.data.length !== v.size) throw new Error(`${owner}: parameter '${name}' holds ${p.data.length} values, shape [${v.shape.join(', ')}] needs ${v.size}`);
  }
  if (!opts.partial) {
    const missing = [...variables.keys()].filter((k) => !(k in params));
    if (missing.length > 0) throw new Error(`${owner}: missing parameter${missing.length > 1 ? 's' : ''} ${missing.slice(0, 5).map((m) => `'${m}'`).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`);
  }
  for (const [name, p] of Object.entries(params)) {
    const v = variables.get(name)!;
    const t = tf.tensor(p.data, v.shape, 'float32');
    v.assign(t);
    t.dispose();
  }
}

/** The host copy of every variable under its checkpoint name (to write a checkpoint or compare one). */
export function readNamedParams(variables: ReadonlyMap<string, Variable>): Map<string, HostParam> {
  return new Map([...variables].map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.dataSync() as Float32Array) }]));
}
