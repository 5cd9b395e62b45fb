import type { NamedParams } from '../named-params.js';
import type { HfConfig } from './hf-config.js';
import type { HfWeights } from './hf-weights.js';

/** What a checkpoint load did, for the user to read: nothing about it is silent. */
export interface HfLoadReport {
  readonly dir: string;
  /** The safetensors files read. */
  readonly files: readonly string[];
  /** Checkpoint tensors the model has no use for (text tower, heads, post_layernorm, buffers), sorted. */
  readonly ignored: readonly string[];
  /** Config keys absent from config.json that took transformers' defaults, as `key = value`. */
  readonly defaulted: readonly string[];
  /** How many loaded parameters were stored in each dtype (all become float32). */
  readonly dtypes: Readonly<Record<string, number>>;
}

/**
 * Checks every expected parameter against the headers (present, float dtype, shape) before any
 * value is read or any model built, so a wrong checkpoint fails fast and names the file and the
 * key. Returns what the load will report besides the files and defaults.
 */
export function checkExpected(weights: HfWeights, shapes: ReadonlyMap<string, readonly number[]>): Pick<HfLoadReport, 'ignored' | 'dtypes'> {
  const missing = [...shapes.keys()].filter((k) => !weights.entry(k));
  if (missing.length > 0) {
    const list = missing.slice(0, 5).map((m) => `'${m}'`).join(', ');
    throw new Error(`${weights.source}: missing parameter${missing.length > 1 ? 's' : ''} ${list}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`);
  }
  const dtypes: Record<string, number> = {};
  for (const [name, shape] of shapes) {
    const e = weights.check(name, shape);
    dtypes[e.dtype] = (dtypes[e.dtype] ?? 0) + 1;
  }
  return { ignored: weights.names().filter((n) => !shapes.has(n)).sort(), dtypes };
}

/** Reads and hands over one parameter at a time (a 4 GB model never sits in memory twice). */
export async function readExpected(weights: HfWeights, shapes: ReadonlyMap<string, readonly number[]>, assign: (params: NamedParams) => void): Promise<void> {
  for (const [name, shape] of shapes) assign({ [name]: { shape, data: await weights.read(name, shape) } });
}

/** A model-construction error (a shape the model refuses) restated against the config file. */
export function blameConfig<T>(cfg: HfConfig, build: () => T): T {
  try {
    return build();
  } catch (e) {
    throw new Error(`${cfg.file}: ${(e as Error).message}`);
  }
}
