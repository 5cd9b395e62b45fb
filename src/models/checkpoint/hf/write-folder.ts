/**
 * Writes a checkpoint folder in HuggingFace's layout: `config.json` plus `model.safetensors`,
 * or `model-0000i-of-0000n.safetensors` shards with `model.safetensors.index.json`, tensors
 * stored as F32, F16 or BF16. The tests write their small checkpoints with it; it is also how
 * a moeflow model leaves in a form transformers reads.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostParam } from '../named-params.js';
import { encodeFloats, type HfFloatDtype } from './dtypes.js';
import { CONFIG_FILE } from './hf-config.js';
import { INDEX_FILE } from './hf-weights.js';
import { writeRawSafetensors, type RawTensor } from './safetensors-file.js';

export interface HfFolderSpec {
  /** config.json's contents. */
  readonly config: Readonly<Record<string, unknown>>;
  /** Float32 values by HF parameter name, written in this order. */
  readonly tensors: ReadonlyMap<string, HostParam>;
  /** Stored dtype, for all tensors or per name (default F32). */
  readonly dtype?: HfFloatDtype | ((name: string) => HfFloatDtype);
  /** Number of shards (default 1: a single `model.safetensors`, no index). */
  readonly shards?: number;
  /** Tensors written as they are, after the others (e.g. an I64 `position_ids` buffer). */
  readonly raw?: ReadonlyMap<string, RawTensor>;
}

/** Returns the paths written. */
export async function writeHfCheckpoint(dir: string, spec: HfFolderSpec): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const dtypeOf = (n: string): HfFloatDtype => (typeof spec.dtype === 'function' ? spec.dtype(n) : (spec.dtype ?? 'F32'));
  const all = new Map<string, RawTensor>();
  for (const [name, t] of spec.tensors) all.set(name, { dtype: dtypeOf(name), shape: t.shape, bytes: encodeFloats(dtypeOf(name), t.data) });
  for (const [name, t] of spec.raw ?? []) all.set(name, t);
  const n = spec.shards ?? 1;
  if (!(Number.isInteger(n) && n >= 1 && n <= all.size)) throw new Error(`writeHfCheckpoint: shards must be 1..${all.size}, got ${n}`);
  const configPath = join(dir, CONFIG_FILE);
  await writeFile(configPath, JSON.stringify(spec.config, null, 2) + '\n');
  if (n === 1) {
    const path = join(dir, 'model.safetensors');
    await writeRawSafetensors(path, all);
    return [configPath, path];
  }
  // Contiguous runs of names per shard, as transformers' save_pretrained fills shards in order.
  const names = [...all.keys()];
  const per = Math.ceil(names.length / n);
  const pad = (i: number): string => String(i).padStart(5, '0');
  const weightMap: Record<string, string> = {};
  const written = [configPath];
  let totalSize = 0;
  for (let s = 0; s < n; s++) {
    const file = `model-${pad(s + 1)}-of-${pad(n)}.safetensors`;
    const shard = new Map(names.slice(s * per, (s + 1) * per).map((k) => [k, all.get(k)!] as const));
    for (const [k, t] of shard) {
      weightMap[k] = file;
      totalSize += t.bytes.byteLength;
    }
    await writeRawSafetensors(join(dir, file), shard);
    written.push(join(dir, file));
  }
  const indexPath = join(dir, INDEX_FILE);
  await writeFile(indexPath, JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2) + '\n');
  return [...written, indexPath];
}
