/**
 * A sweep file: a base pipeline, a grid over any of its keys, overrides for every point or for
 * matching points, and where and how the points run.
 *
 *   name: routers
 *   base: ../pipelines/quickstart.yaml          # relative to this file
 *   grid:
 *     model.moe.algorithm: [moe_layer, moe_layer_xmoe, moe_layer_deepseekv2]
 *     trainer.seed: [1, 2]
 *   set: { trainer.steps: 100 }                 # every point
 *   points:                                     # points whose grid values match `when`
 *     - when: { model.moe.algorithm: moe_layer_deepseekv2 }
 *       set: { model.moe.options.perplexity_reg_mode: deepseek }
 *   eval: { tasks: [piqa, lambada], data: ../shared/data/eval }   # each point's eval: section
 *   out: sweeps/routers                         # the sweep folder (default sweeps/<name>)
 *   executor:
 *     parallel: 2                               # points at once (local pool; Slurm's %P)
 *     slurm: { partition: gpu, time: "04:00:00", cpusPerTask: 8, mem: 32G, gpus: 1 }
 *     k8s: { image: moeflow:latest, namespace: research, cpu: "8", memory: 32Gi, gpus: 1 }
 *     ray: { address: http://head:8265, numCpus: 8, numGpus: 1 }
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { closest } from '../../base/closest.js';
import { ConfigError } from '../../config/config-error.js';

export type GridValue = string | number | boolean | null;

export interface SlurmOptions { readonly partition?: string; readonly time?: string; readonly cpusPerTask?: number; readonly mem?: string; readonly gpus?: number; readonly account?: string; readonly extra?: readonly string[] }
export interface K8sOptions { readonly image: string; readonly namespace?: string; readonly cpu?: string; readonly memory?: string; readonly gpus?: number; readonly volumeClaim?: string; readonly mountPath?: string }
export interface RayOptions { readonly address?: string; readonly numCpus?: number; readonly numGpus?: number; readonly workingDir?: string }

export interface SweepFile {
  /** The file itself (absolute) and its text (the sweep folder's fingerprint). */
  readonly path: string;
  readonly text: string;
  readonly name: string;
  /** Absolute path of the base pipeline. */
  readonly base: string;
  /** Grid keys in file order, each with its values. */
  readonly grid: readonly { readonly key: string; readonly values: readonly GridValue[] }[];
  readonly set: Readonly<Record<string, unknown>>;
  readonly points: readonly { readonly when: Readonly<Record<string, GridValue>>; readonly set: Readonly<Record<string, unknown>> }[];
  readonly eval?: Readonly<Record<string, unknown>>;
  /** Absolute sweep folder. */
  readonly out: string;
  readonly parallel: number;
  readonly slurm: SlurmOptions;
  readonly k8s?: K8sOptions;
  readonly ray: RayOptions;
}

const TOP_KEYS = ['name', 'description', 'base', 'grid', 'set', 'points', 'eval', 'out', 'executor'];
const EXECUTOR_KEYS = ['parallel', 'slurm', 'k8s', 'ray'];

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isScalar(v: unknown): v is GridValue {
  return v === null || ['string', 'number', 'boolean'].includes(typeof v);
}

/** Read and check a sweep file; every problem is a ConfigError naming the file and key. */
export async function loadSweepFile(file: string, outOverride?: string): Promise<SweepFile> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError(path, [`cannot read the sweep file: ${(e as Error).message}`], 'sweep file');
  }
  return parseSweepFile(text, path, outOverride);
}

export function parseSweepFile(text: string, path: string, outOverride?: string): SweepFile {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ConfigError(path, [`not valid YAML: ${(e as Error).message.split('\n')[0]}`], 'sweep file');
  }
  if (!isMap(doc)) throw new ConfigError(path, ['a sweep file is a YAML map (name, base, grid, ...)'], 'sweep file');
  const issues: string[] = [];
  for (const k of Object.keys(doc)) {
    if (!TOP_KEYS.includes(k)) {
      const near = closest(k, TOP_KEYS);
      issues.push(`unknown key "${k}"${near ? ` (did you mean "${near}"?)` : ''}; a sweep file has ${TOP_KEYS.join(', ')}`);
    }
  }
  const dir = dirname(path);
  const name = doc['name'];
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(name)) issues.push('name: required, letters, digits, _ . - only (it names the sweep folder)');
  const base = doc['base'];
  if (typeof base !== 'string' || base === '') issues.push('base: required, the pipeline file every point starts from (relative to the sweep file)');

  const grid: { key: string; values: GridValue[] }[] = [];
  const g = doc['grid'];
  if (!isMap(g) || Object.keys(g).length === 0) {
    issues.push('grid: required, a map of config keys to lists of values (e.g. model.moe.algorithm: [moe_layer, moe_layer_xmoe])');
  } else {
    for (const [key, values] of Object.entries(g)) {
      if (!Array.isArray(values) || values.length === 0) { issues.push(`grid.${key}: a non-empty list of values`); continue; }
      const bad = values.findIndex((v) => !isScalar(v));
      if (bad >= 0) { issues.push(`grid.${key}[${bad}]: a grid value is a string, number, boolean or null (use set: or points: for sections)`); continue; }
      if (new Set(values.map((v) => JSON.stringify(v))).size !== values.length) issues.push(`grid.${key}: a value is listed twice`);
      grid.push({ key, values: values as GridValue[] });
    }
  }
  const set = doc['set'] ?? {};
  if (!isMap(set)) issues.push('set: a map of config keys to values, applied to every point');

  const points: { when: Record<string, GridValue>; set: Record<string, unknown> }[] = [];
  const p = doc['points'] ?? [];
  if (!Array.isArray(p)) issues.push('points: a list of { when: {grid key: value}, set: {key: value} }');
  else p.forEach((entry, i) => {
    if (!isMap(entry) || !isMap(entry['when']) || !isMap(entry['set'])) { issues.push(`points[${i}]: needs when: {grid key: value} and set: {key: value}`); return; }
    for (const k of Object.keys(entry)) if (k !== 'when' && k !== 'set') issues.push(`points[${i}]: unknown key "${k}" (when, set)`);
    for (const [k, v] of Object.entries(entry['when'])) {
      const axis = grid.find((a) => a.key === k);
      if (!axis) issues.push(`points[${i}].when: "${k}" is not a grid key (${grid.map((a) => a.key).join(', ')})`);
      else if (!axis.values.some((x) => x === v)) issues.push(`points[${i}].when: ${k} = ${JSON.stringify(v)} is not one of its grid values`);
    }
    points.push({ when: entry['when'] as Record<string, GridValue>, set: entry['set'] });
  });

  const ev = doc['eval'];
  if (ev !== undefined && !isMap(ev)) issues.push('eval: the eval: section every point runs after training (as in a pipeline file)');

  const ex = doc['executor'] ?? {};
  let parallel = 1;
  let slurm: SlurmOptions = {};
  let k8s: K8sOptions | undefined;
  let ray: RayOptions = {};
  if (!isMap(ex)) issues.push('executor: a map (parallel, slurm, k8s, ray)');
  else {
    for (const k of Object.keys(ex)) if (!EXECUTOR_KEYS.includes(k)) issues.push(`executor: unknown key "${k}" (${EXECUTOR_KEYS.join(', ')})`);
    if (ex['parallel'] !== undefined) {
      if (!Number.isInteger(ex['parallel']) || (ex['parallel'] as number) < 1) issues.push('executor.parallel: a whole number ≥ 1');
      else parallel = ex['parallel'] as number;
    }
    slurm = checkSection(ex['slurm'], 'executor.slurm', { partition: 'string', time: 'string', cpusPerTask: 'number', mem: 'string', gpus: 'number', account: 'string', extra: 'list' }, issues) as SlurmOptions;
    if (ex['k8s'] !== undefined) {
      k8s = checkSection(ex['k8s'], 'executor.k8s', { image: 'string', namespace: 'string', cpu: 'string', memory: 'string', gpus: 'number', volumeClaim: 'string', mountPath: 'string' }, issues) as unknown as K8sOptions;
      if (typeof k8s.image !== 'string') issues.push('executor.k8s.image: required, the container image holding moeflow');
    }
    ray = checkSection(ex['ray'], 'executor.ray', { address: 'string', numCpus: 'number', numGpus: 'number', workingDir: 'string' }, issues) as RayOptions;
  }
  if (issues.length > 0) throw new ConfigError(path, issues, 'sweep file');
  return {
    path, text, name: name as string, base: resolve(dir, base as string), grid, set: set as Record<string, unknown>, points,
    ...(ev !== undefined ? { eval: ev as Record<string, unknown> } : {}),
    out: resolve(outOverride ?? (typeof doc['out'] === 'string' ? resolve(dir, doc['out']) : resolve('sweeps', name as string))),
    parallel, slurm, ...(k8s ? { k8s } : {}), ray,
  };
}

function checkSection(v: unknown, where: string, fields: Record<string, 'string' | 'number' | 'list'>, issues: string[]): Record<string, unknown> {
  if (v === undefined) return {};
  if (!isMap(v)) { issues.push(`${where}: a map (${Object.keys(fields).join(', ')})`); return {}; }
  for (const [k, x] of Object.entries(v)) {
    const want = fields[k];
    if (!want) {
      const near = closest(k, Object.keys(fields));
      issues.push(`${where}: unknown key "${k}"${near ? ` (did you mean "${near}"?)` : ''}`);
    } else if (want === 'list' ? !Array.isArray(x) : typeof x !== want) {
      issues.push(`${where}.${k}: expected a ${want}`);
    }
  }
  return v;
}
