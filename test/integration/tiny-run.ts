/** Helpers for end-to-end tests: a tiny pipeline on the shipped fixtures, and `pipeline run` as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { plainChildEnv } from '../support/child-env.js';

export const BIN = join(process.cwd(), 'bin/pipeline.js');
export const FIXTURES = resolve('fixtures/slimpajama');

/** A tiny MoE LM pipeline (seconds per run on wasm) as YAML. */
export function tinyPipeline(o: { steps: number; checkpointEvery: number; evalEvery?: number; algorithm?: string; extra?: string }): string {
  return `
name: tiny
data:
  files: [${FIXTURES}/*.jsonl.zst]
  shuffleBuffer: 16
  tokenizer: { train: { vocabSize: 384, sampleDocs: 200 } }
  seqLen: 32
  batchSize: 4
  heldOut: { docs: 8 }
model: { dModel: 32, nLayers: 2, nHeads: 2, headDim: 16, moe: { algorithm: ${o.algorithm ?? 'moe_layer'}, nExperts: 4, topK: 2, expertSize: 16, options: { selection_mode: gate, perplexity_reg: 0.01 } } }
trainer: { steps: ${o.steps}, lr: 3.0e-3, warmupSteps: 2, gradClip: 1.0, evalEvery: ${o.evalEvery ?? 0}, evalBatches: 2, checkpointEvery: ${o.checkpointEvery}, backend: wasm }
stats: { tokenSampleRate: 0.05, flushEveryRows: 40, flushEverySeconds: 0 }
${o.extra ?? ''}
`;
}

export interface Exit { code: number | null; signal: NodeJS.Signals | null; err: string }

export function spawnPipeline(args: string[]): { child: ChildProcess; done: Promise<Exit> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: plainChildEnv() });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { err += s; });
  const done = new Promise<Exit>((res) => child.once('exit', (code, signal) => res({ code, signal, err })));
  return { child, done };
}

export async function runPipelineCli(args: string[]): Promise<Exit> {
  return spawnPipeline(args).done;
}

/** The single run directory under `outDir`. */
export async function onlyRun(outDir: string): Promise<string> {
  const runs = await readdir(outDir);
  if (runs.length !== 1) throw new Error(`expected one run under ${outDir}, found ${runs.join(', ')}`);
  return join(outDir, runs[0]!);
}

/** Every Parquet file of a run directory (relative paths). */
export async function parquetFiles(runDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const sub of ['', 'routing']) {
    let names: string[] = [];
    try { names = await readdir(join(runDir, sub)); } catch { continue; }
    out.push(...names.filter((n) => n.endsWith('.parquet')).map((n) => join(sub, n)));
  }
  return out.sort();
}
