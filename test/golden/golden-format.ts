/**
 * The golden-vector file format (../shared/golden/README.md §2) and its loader.
 * Tensors are `{shape, dtype, data: nested row-major arrays}`; float scalars are numbers.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface GoldenTensor {
  readonly shape: number[];
  readonly dtype: 'float64' | 'float32' | 'int64';
  readonly data: unknown;
}

export type GoldenValue = GoldenTensor | number | boolean | string | GoldenValue[] | { [k: string]: GoldenValue };

export interface GoldenCase {
  readonly id: string;
  readonly algorithm: string;
  readonly config: Record<string, number | string>;
  readonly constants: Record<string, GoldenValue>;
  readonly params: Record<string, GoldenTensor>;
  readonly params_without_grad: string[];
  readonly inputs: { x: GoldenTensor; R: GoldenTensor };
  readonly expected: Record<string, GoldenValue> & {
    output: GoldenTensor;
    aux: Record<string, number>;
    objective: number;
    grads: Record<string, GoldenTensor>;
  };
}

export interface GoldenFile {
  readonly file: string;
  readonly algorithm: string;
  readonly cases: GoldenCase[];
}

export function isTensor(v: unknown): v is GoldenTensor {
  return typeof v === 'object' && v !== null && 'shape' in v && 'data' in v && 'dtype' in v;
}

/** Row-major flat copy of a tensor's nested data (float64 precision kept for comparisons). */
export function flat(t: GoldenTensor): Float64Array {
  const out: number[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else out.push(v as number);
  };
  walk(t.data);
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (out.length !== n) throw new Error(`golden tensor: shape ${JSON.stringify(t.shape)} holds ${n} values, data has ${out.length}`);
  return Float64Array.from(out);
}

export function f32(t: GoldenTensor): Float32Array {
  return Float32Array.from(flat(t));
}

/** The repository root (this file is compiled to dist/test/golden/). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/**
 * Where the vectors come from: env GOLDEN_DIR when set (relative paths from the current
 * directory), else ../shared/golden beside the repository when it exists (the shared and
 * any hidden set use that layout), else the copy in test/fixtures/golden.
 */
export function goldenDir(): { dir: string; why: string } {
  const env = process.env['GOLDEN_DIR'];
  if (env) return { dir: resolve(env), why: 'GOLDEN_DIR' };
  const shared = resolve(REPO_ROOT, '../shared/golden');
  if (existsSync(shared)) return { dir: shared, why: '../shared/golden' };
  return { dir: resolve(REPO_ROOT, 'test/fixtures/golden'), why: 'test/fixtures/golden (../shared/golden absent)' };
}

export function loadGoldenDir(dir: string): GoldenFile[] {
  if (!existsSync(dir)) throw new Error(`golden directory ${dir} does not exist`);
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) throw new Error(`golden directory ${dir} has no .json files`);
  return files.map((f) => {
    const path = join(dir, f);
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { algorithm?: string; cases?: GoldenCase[]; format_version?: number };
    if (doc.format_version !== 1 || !Array.isArray(doc.cases)) throw new Error(`${path}: not a format_version 1 golden file`);
    return { file: f, algorithm: doc.algorithm ?? f, cases: doc.cases };
  });
}
