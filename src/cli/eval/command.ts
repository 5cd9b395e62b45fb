/** `pipeline eval`: argument handling only; the work is runEval (run-eval.ts). */
import { resolve } from 'node:path';
import type { BackendRequest } from '../../models/backend.js';
import { evalTaskNames } from '../../eval/tasks/registry.js';
import { parseVerbArgs } from '../shared/args.js';
import { EXIT, UsageError } from '../shared/errors.js';
import { EVAL_HELP } from '../shared/help.js';
import { runEval, type CheckpointChoice } from './run-eval.js';

export { runEval, type RunEvalOptions, type EvalSummary } from './run-eval.js';

export interface EvalCommandDeps {
  readonly stdout?: (s: string) => void;
  readonly stderr?: (s: string) => void;
}

const BACKENDS = ['auto', 'wasm', 'cpu', 'webgpu', 'tensorflow'];

function count(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${v}"`, 'eval');
  return n;
}

export function parseCheckpoint(v: string | undefined): CheckpointChoice {
  if (v === undefined || v === 'last') return 'last';
  if (v === 'all') return 'all';
  return v.split(',').map((s) => {
    const m = /^(?:step-)?(\d+)$/.exec(s.trim());
    if (!m) throw new UsageError(`--checkpoint: expected last, all or step-N[,step-M...], got "${s}"`, 'eval');
    return Number(m[1]);
  });
}

export async function evalCommand(argv: string[], deps: EvalCommandDeps = {}): Promise<number> {
  const out = deps.stdout ?? ((s: string) => process.stdout.write(s));
  const err = deps.stderr ?? ((s: string) => process.stderr.write(s));
  const { values, positionals } = parseVerbArgs('eval', argv, {
    tasks: { type: 'string' },
    data: { type: 'string' },
    file: { type: 'string', multiple: true },
    checkpoint: { type: 'string' },
    limit: { type: 'string' },
    'batch-size': { type: 'string' },
    backend: { type: 'string' },
    'on-bad-row': { type: 'string' },
    routing: { type: 'boolean' },
    'routes-sample': { type: 'string' },
  });
  if (values.help) { out(`${EVAL_HELP}\n`); return EXIT.ok; }
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing RUN_DIR' : `expected one RUN_DIR, got ${positionals.length}: ${positionals.join(' ')}`, 'eval');
  if (!values.tasks) throw new UsageError(`missing --tasks (any of: ${evalTaskNames().join(', ')})`, 'eval');
  const tasks = values.tasks.split(',').map((t) => t.trim()).filter(Boolean);
  const unknown = tasks.filter((t) => !evalTaskNames().includes(t));
  if (unknown.length) throw new UsageError(`unknown task ${unknown.join(', ')}; known: ${evalTaskNames().join(', ')}`, 'eval');
  const taskFiles: Record<string, string[]> = {};
  for (const f of values.file ?? []) {
    const eq = f.indexOf('=');
    const task = f.slice(0, eq);
    if (eq < 1 || !tasks.includes(task)) throw new UsageError(`--file expects TASK=PATH for a task in --tasks, got "${f}"`, 'eval');
    (taskFiles[task] ??= []).push(resolve(f.slice(eq + 1)));
  }
  const backend = values.backend;
  if (backend !== undefined && !BACKENDS.includes(backend)) throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got "${backend}"`, 'eval');
  const policy = values['on-bad-row'];
  if (policy !== undefined && policy !== 'fail' && policy !== 'skip') throw new UsageError(`--on-bad-row must be fail or skip, got "${policy}"`, 'eval');
  const limit = count('limit', values.limit, 0);
  const batchSize = count('batch-size', values['batch-size'], 1);
  const rate = values['routes-sample'] === undefined ? 0.05 : Number(values['routes-sample']);
  if (!(rate >= 0 && rate <= 1)) throw new UsageError(`--routes-sample must be a fraction in [0, 1], got "${values['routes-sample']}"`, 'eval');
  if (values['routes-sample'] !== undefined && !values.routing) throw new UsageError('--routes-sample needs --routing', 'eval');
  const summary = await runEval({
    runDir: resolve(positionals[0]!),
    tasks,
    checkpoints: parseCheckpoint(values.checkpoint),
    dataDir: resolve(values.data ?? 'data/eval'),
    taskFiles,
    ...(limit !== undefined ? { limit } : {}),
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(backend !== undefined ? { backend: backend as BackendRequest } : {}),
    ...(policy !== undefined ? { onBadRow: policy } : {}),
    ...(values.routing ? { routing: { tokenSampleRate: rate } } : {}),
    log: err,
  });
  const done = summary.outcomes.filter((x) => x.status === 'done').length;
  const skipped = summary.outcomes.length - done;
  err(`eval ${summary.runId} (${summary.backend}): ${done} task×checkpoint evaluated, ${skipped} already in eval/results → ${resolve(positionals[0]!, 'eval')}\n`);
  return EXIT.ok;
}
