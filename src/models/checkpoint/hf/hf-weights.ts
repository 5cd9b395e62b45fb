/**
 * The weights of a HuggingFace checkpoint folder, by parameter name, across its files:
 * - `model.safetensors.index.json` (sharded: `weight_map` names the file of every parameter), or
 * - every `*.safetensors` in the folder (usually the one `model.safetensors`).
 * Only headers are read up front; values are read, and converted to float32, one tensor at a
 * time. Errors name the file and the parameter.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesPerElement, decodeFloats, HF_FLOAT_DTYPES, isHfFloatDtype } from './dtypes.js';
import { readEntryBytes, readSafetensorsHeader, type SafetensorsEntry, type SafetensorsHeader } from './safetensors-file.js';

export const INDEX_FILE = 'model.safetensors.index.json';

/** A parameter's header entry and the file it lives in. */
export interface HfWeightEntry extends SafetensorsEntry {
  readonly file: string;
}

export class HfWeights {
  private constructor(
    readonly dir: string,
    /** What lists the parameters: the index file, the one safetensors file, or the folder. */
    readonly source: string,
    readonly files: readonly string[],
    private readonly entries: ReadonlyMap<string, HfWeightEntry>,
  ) {}

  static async open(dir: string): Promise<HfWeights> {
    const names = await readdir(dir).catch((e: Error) => {
      throw new Error(`${dir}: cannot read the checkpoint folder (${e.message})`);
    });
    if (names.includes(INDEX_FILE)) return HfWeights.fromIndex(dir, join(dir, INDEX_FILE));
    const files = names.filter((n) => n.endsWith('.safetensors')).sort().map((n) => join(dir, n));
    if (files.length === 0) {
      const bin = names.filter((n) => n.endsWith('.bin') || n.endsWith('.pt') || n.endsWith('.pth'));
      throw new Error(`${dir}: no *.safetensors file${bin.length ? ` (${bin.join(', ')} are pickles, which moeflow does not read: save them with safetensors first)` : ''}`);
    }
    const entries = new Map<string, HfWeightEntry>();
    for (const h of await Promise.all(files.map(readSafetensorsHeader))) {
      for (const [name, e] of h.entries) {
        const prev = entries.get(name);
        if (prev) throw new Error(`${h.path}: parameter '${name}' is also in ${prev.file}`);
        entries.set(name, { ...e, file: h.path });
      }
    }
    return new HfWeights(dir, files.length === 1 ? files[0]! : dir, files, entries);
  }

  private static async fromIndex(dir: string, indexPath: string): Promise<HfWeights> {
    let weightMap: Record<string, string>;
    try {
      weightMap = (JSON.parse(await readFile(indexPath, 'utf8')) as { weight_map?: Record<string, string> }).weight_map ?? {};
    } catch (e) {
      throw new Error(`${indexPath}: not a safetensors index (${(e as Error).message})`);
    }
    if (Object.keys(weightMap).length === 0) throw new Error(`${indexPath}: 'weight_map' is missing or empty`);
    const files = [...new Set(Object.values(weightMap))].sort();
    const headers = new Map<string, SafetensorsHeader>();
    for (const f of files) {
      const h = await readSafetensorsHeader(join(dir, f)).catch((e: Error) => {
        throw new Error(`${indexPath}: shard '${f}' cannot be read (${e.message})`);
      });
      headers.set(f, h);
    }
    const entries = new Map<string, HfWeightEntry>();
    for (const [name, f] of Object.entries(weightMap)) {
      const e = headers.get(f)!.entries.get(name);
      if (!e) throw new Error(`${indexPath}: parameter '${name}' is mapped to ${f}, which does not hold it`);
      entries.set(name, { ...e, file: join(dir, f) });
    }
    return new HfWeights(dir, indexPath, files.map((f) => join(dir, f)), entries);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  entry(name: string): HfWeightEntry | undefined {
    return this.entries.get(name);
  }

  /**
   * Checks what the header says of parameter `name` against the shape the model expects,
   * without reading values: present, a float dtype, the expected shape, the right byte count.
   */
  check(name: string, shape: readonly number[]): HfWeightEntry {
    const e = this.entries.get(name);
    if (!e) throw new Error(`${this.source}: missing parameter '${name}'`);
    if (!isHfFloatDtype(e.dtype)) throw new Error(`${e.file}: parameter '${name}' has dtype ${e.dtype}; ${HF_FLOAT_DTYPES.join(', ')} are read`);
    if (e.shape.length !== shape.length || e.shape.some((s, i) => s !== shape[i])) {
      throw new Error(`${e.file}: parameter '${name}' has shape [${e.shape.join(', ')}], the model expects [${shape.join(', ')}]`);
    }
    const want = shape.reduce((a, b) => a * b, 1) * bytesPerElement(e.dtype);
    if (e.end - e.begin !== want) throw new Error(`${e.file}: parameter '${name}' holds ${e.end - e.begin} bytes, ${e.dtype}[${shape.join(', ')}] needs ${want}`);
    return e;
  }

  /** The values of `name` as float32, after `check`. */
  async read(name: string, shape: readonly number[]): Promise<Float32Array> {
    const e = this.check(name, shape);
    return decodeFloats(e.dtype as (typeof HF_FLOAT_DTYPES)[number], await readEntryBytes(e.file, e));
  }
}
