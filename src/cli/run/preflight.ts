/**
 * Step 2 of `pipeline run` (and all of --dry-run's checking): the inputs a run needs exist
 * before anything is created, so a run that cannot start fails with exit 2 and leaves no run
 * directory. Checked: the flow gives what `pipeline run` trains on (token batches), every data glob matches a file (data.files or each data.sources[i].files, data.heldOut.files), the
 * tokenizer file is a readable JSON document (data.tokenizer.path), and the runs folder
 * (out.dir) can be created and written; a llava source's image folder exists.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { resolveFiles } from '../../streams/index.js';
import { InputError } from '../shared/errors.js';
import { RUN_TOKENIZER, flowOutput, imageTextProblem } from './data-plan.js';
import type { RunPlan } from './resolve-run.js';
import { initCheckpoint } from './vlm-init.js';

/** Every problem found, one line each naming its key and path; empty when the run can start. */
export function runInputProblems(plan: RunPlan): string[] {
  const { data, out } = plan.config;
  const problems: string[] = [];
  const imageText = plan.config.model.vlm
    ? (flowOutput(data) === 'sampleBatch' ? undefined : 'data.flow: a VLM run (model.vlm) trains on padded image-text batches: a llava source with flow [{op: conversation}, {op: image}] and data.flow [{op: padBatch}]')
    : imageTextProblem(data);
  if (imageText) problems.push(imageText);
  if (data.files) problems.push(...globProblems('data.files', data.files));
  (data.sources ?? []).forEach((src, i) => {
    problems.push(...globProblems(`data.sources[${i}].files`, src.files));
    if (src.images !== undefined && !isDirectory(src.images)) problems.push(`data.sources[${i}].images: ${src.images} is not a folder`);
  });
  const from = plan.config.model.vlm?.init.from;
  if (from !== undefined) {
    try { initCheckpoint(from); } catch (e) { problems.push((e as Error).message); }
  }
  if (data.heldOut.files?.length) problems.push(...globProblems('data.heldOut.files', data.heldOut.files));
  // A resumed run uses the tokenizer it saved; the configured file matters only without one.
  const ownTokenizer = plan.kind === 'resume' && existsSync(join(plan.runDir, RUN_TOKENIZER));
  if ('path' in data.tokenizer && !ownTokenizer) {
    const problem = tokenizerProblem(data.tokenizer.path);
    if (problem) problems.push(`data.tokenizer.path: ${problem}`);
  }
  if (plan.kind === 'fresh') {
    const problem = writableProblem(resolve(out.dir));
    if (problem) problems.push(`out.dir: ${problem}`);
  }
  return problems;
}

/** Throws an InputError (exit 2) naming every problem. */
export function checkRunInputs(plan: RunPlan): void {
  const problems = runInputProblems(plan);
  if (problems.length) throw new InputError(plan.source, problems);
}

function globProblems(key: string, specs: readonly string[]): string[] {
  return specs.flatMap((spec) => {
    try {
      resolveFiles([spec]);
      return [];
    } catch (e) {
      return [`${key}: ${(e as Error).message.replace(/^files: /, '')}`];
    }
  });
}

/** Cheap and without loading `tokenizers`: readable, JSON, with a `model`. Whether the model itself loads is the run's business. */
function tokenizerProblem(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  try {
    const doc = JSON.parse(text) as unknown;
    if (doc === null || typeof doc !== 'object' || !('model' in doc)) return `${path} is not a tokenizer.json (no "model")`;
  } catch (e) {
    return `${path} is not JSON: ${(e as Error).message}`;
  }
  return undefined;
}

/** The folder, or the nearest existing folder above it (where it would be created), must be a writable directory. */
function writableProblem(dir: string): string | undefined {
  let at = dir;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  if (!statSync(at).isDirectory()) return `cannot create ${dir}: ${at} is not a directory`;
  try {
    accessSync(at, constants.W_OK);
  } catch {
    return `cannot write to ${at}${at === dir ? '' : ` (to create ${dir})`}`;
  }
  return undefined;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
