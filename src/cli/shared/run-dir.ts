import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify as toYaml, parse as parseYaml } from 'yaml';
import type { PipelineConfig } from '../../config/schema.js';
import { writeFileAtomic } from '../../sinks/atomic-file.js';

/** What a run records about itself beside the pipeline, in config.yaml's `run:` section. */
export interface RunRecord {
  readonly id: string;
  readonly created: string;
  /** The pipeline file and the --set overrides it was resolved from. */
  readonly source: string;
  readonly overrides: readonly string[];
  readonly seed: { readonly data: number; readonly trainer: number };
  readonly backend: { readonly requested: string; readonly resolved?: string; readonly reason?: string };
  readonly versions: Readonly<Record<string, string>>;
  /** Set when this process continued an earlier run from a checkpoint. */
  readonly resumedFromStep?: number;
}

/** `quickstart-20261122-112233` (UTC); a numeric suffix when that directory exists already. */
export async function newRunDir(runsDir: string, name: string, now = new Date()): Promise<{ id: string; dir: string }> {
  const ts = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const base = `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}-${ts}`;
  await mkdir(runsDir, { recursive: true });
  for (let i = 0; ; i++) {
    const id = i === 0 ? base : `${base}-${i}`;
    const dir = join(runsDir, id);
    try {
      await mkdir(dir); // fails if it exists: two runs never share a directory
      return { id, dir };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** config.yaml = the resolved pipeline (every default filled in) + `run:`. */
export async function writeRunConfig(dir: string, config: PipelineConfig, run: RunRecord): Promise<void> {
  const text = `# Resolved pipeline of run ${run.id} (defaults filled in). Re-run: pipeline run ${join(dir, 'config.yaml')}\n` +
    toYaml({ ...config, run }, { lineWidth: 0 });
  await writeFileAtomic(join(dir, 'config.yaml'), Buffer.from(text, 'utf8'));
}

/** Read a run's config.yaml: the pipeline part (validated again by the caller) and the run record. */
export async function readRunConfig(dir: string): Promise<{ pipeline: Record<string, unknown>; run: RunRecord | undefined }> {
  const path = join(dir, 'config.yaml');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new Error(`${dir} is not a run directory (no config.yaml)`);
  }
  const doc = (parseYaml(text) ?? {}) as Record<string, unknown>;
  const { run, ...pipeline } = doc;
  return { pipeline, run: run as RunRecord | undefined };
}

/** Steps of the complete checkpoints in `<run>/checkpoints/step-N/`, ascending. */
export async function checkpointSteps(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(join(dir, 'checkpoints'));
  } catch {
    return [];
  }
  const steps: number[] = [];
  for (const n of names) {
    const m = /^step-(\d+)$/.exec(n);
    if (m && (await stat(join(dir, 'checkpoints', n))).isDirectory()) steps.push(Number(m[1]));
  }
  return steps.sort((a, b) => a - b);
}
