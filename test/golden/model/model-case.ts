/**
 * Golden model-level cases (`vlm_model/*.json` except `image_preprocess__*`,
 * ../shared/golden/README.md §9): the vision towers, the projector, the LLaVA splice and a Phi-3
 * decoder layer, each produced by LibMoE's (or transformers') own code. Tensors are nested arrays
 * or base64 little-endian bytes (§9.2); `expected` nests dictionaries compared entry by entry.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Check } from '../compare.js';

/** `{shape, dtype, data}` with data nested row-major arrays or (encoding 'base64') raw bytes. */
export interface EncodedTensor {
  readonly shape: number[];
  readonly dtype: 'float64' | 'float32' | 'int64' | 'uint8';
  readonly encoding?: 'base64';
  readonly data: unknown;
}

export type ModelValue = EncodedTensor | number | boolean | string | null | ModelValue[] | { [k: string]: ModelValue };

/** Which component a case file exercises: the file name without `.json`. */
export type ModelKind = 'clip_tower' | 'clip_moe_tower' | 'siglip_tower' | 'siglip_moe_tower'
  | 'projector_mlp2x_gelu' | 'projector_moe' | 'splice' | 'phi3_decoder_layer';

export const MODEL_KINDS: readonly ModelKind[] = ['clip_tower', 'clip_moe_tower', 'siglip_tower', 'siglip_moe_tower',
  'projector_mlp2x_gelu', 'projector_moe', 'splice', 'phi3_decoder_layer'];

export interface ModelCase {
  readonly id: string;
  readonly kind: ModelKind;
  /** The JSON file the case came from (for messages). */
  readonly file: string;
  readonly config: Record<string, unknown>;
  readonly notes?: readonly string[];
  readonly params: Record<string, EncodedTensor>;
  readonly params_without_grad: readonly string[];
  readonly inputs: Record<string, ModelValue>;
  readonly expected: Record<string, ModelValue>;
}

export function isEncodedTensor(v: unknown): v is EncodedTensor {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'shape' in v && 'data' in v && 'dtype' in v;
}

export function size(t: EncodedTensor): number {
  return t.shape.reduce((a, b) => a * b, 1);
}

/** Row-major values of a tensor, at float64 precision (int64 as numbers). */
export function values(t: EncodedTensor): Float64Array {
  const n = size(t);
  let out: Float64Array;
  if (t.encoding === 'base64') {
    const bytes = Buffer.from(t.data as string, 'base64');
    const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    if (t.dtype === 'float64') out = new Float64Array(buf);
    else if (t.dtype === 'float32') out = Float64Array.from(new Float32Array(buf));
    else if (t.dtype === 'uint8') out = Float64Array.from(new Uint8Array(buf));
    else out = Float64Array.from(new BigInt64Array(buf), (x) => Number(x));
  } else {
    const flat: number[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) for (const x of v) walk(x);
      else flat.push(typeof v === 'boolean' ? Number(v) : (v as number));
    };
    walk(t.data);
    out = Float64Array.from(flat);
  }
  if (out.length !== n) throw new Error(`golden tensor: shape ${JSON.stringify(t.shape)} holds ${n} values, data has ${out.length}`);
  return out;
}

/** Float32 copy (params and inputs are float32-exact, so this is lossless for them). */
export function float32(t: EncodedTensor): Float32Array {
  return Float32Array.from(values(t));
}

export function int32(t: EncodedTensor): Int32Array {
  return Int32Array.from(values(t));
}

/** `expected` entry at a dotted path (`moe.call1.layer2.gate_weights`), or undefined. */
export function at(root: Record<string, ModelValue>, path: string): ModelValue | undefined {
  let v: ModelValue | undefined = root;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || isEncodedTensor(v)) return undefined;
    v = (v as Record<string, ModelValue>)[k];
  }
  return v;
}

/** Every tensor or number under `root` with its dotted path, for "compare entry by entry". */
export function leaves(root: ModelValue, prefix = ''): Array<{ path: string; value: EncodedTensor | number }> {
  const out: Array<{ path: string; value: EncodedTensor | number }> = [];
  if (typeof root === 'number') out.push({ path: prefix, value: root });
  else if (isEncodedTensor(root)) out.push({ path: prefix, value: root });
  else if (root !== null && typeof root === 'object' && !Array.isArray(root)) {
    for (const [k, v] of Object.entries(root)) out.push(...leaves(v, prefix ? `${prefix}.${k}` : k));
  }
  return out;
}

function kindOf(file: string): ModelKind | undefined {
  const name = basename(file, '.json');
  return (MODEL_KINDS as readonly string[]).includes(name) ? (name as ModelKind) : undefined;
}

/** Model-level cases under `dir/vlm_model/` (the shared and hidden layout) or directly in `dir`. */
export function listModelCases(dir: string): ModelCase[] {
  const folders = [join(dir, 'vlm_model'), dir].filter((d) => existsSync(d));
  const out: ModelCase[] = [];
  for (const folder of folders) {
    for (const f of readdirSync(folder).filter((n) => n.endsWith('.json')).sort()) {
      const kind = kindOf(f);
      if (!kind) continue;
      const path = join(folder, f);
      const doc = JSON.parse(readFileSync(path, 'utf8')) as { format_version?: number; cases?: Omit<ModelCase, 'kind' | 'file'>[] };
      if (doc.format_version !== 1 || !Array.isArray(doc.cases)) throw new Error(`${path}: not a format_version 1 golden file`);
      for (const c of doc.cases) out.push({ ...c, kind, file: path });
    }
  }
  return out;
}

/** One model-level runner per kind: builds the component on the current backend and checks it. */
export type ModelRunner = (c: ModelCase) => Check[] | Promise<Check[]>;
