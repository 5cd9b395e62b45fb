/**
 * Evaluation speed as JSON: items/s per task and the ratio of evaluated tokens/s (real tokens of
 * the scored sequences, padding not counted) to the same model's plain forward tokens/s on full
 * windows, measured in this one run (issue 8 target: ratio ≥ 0.7). Evaluated tokens count every
 * option's whole sequence; `modelRows` is what the model computed (a context shared by an item's
 * options once), `paddedRows` that with padding. MOEFLOW_SHARE_CONTEXT=0 scores each option alone, =always shares every shared context.
 * Usage: node dist/bench/eval.js RUN_DIR DATA_DIR [tasks=piqa,arc_easy,hellaswag,lambada,blimp] [limit=100] [batch=32] [quantum=auto]
 */
import { join } from 'node:path';
import { loadTaskItems } from '../src/eval/data/load-task-items.js';
import { scoreItems } from '../src/eval/scoring/score-items.js';
import { evalTask } from '../src/eval/tasks/registry.js';
import { selectBackend } from '../src/models/backend.js';
import { modelFromCheckpoint } from '../src/models/checkpoint/load-lm-weights.js';
import type { ContinuationRequest, ContinuationScorer } from '../src/models/lm/continuation-types.js';
import { LmContinuationScorer } from '../src/models/lm/score-continuations.js';
import { createMoeLayer } from '../src/models/moe/registry.js';
import { tf } from '../src/models/tf.js';
import { checkpointSteps, readRunConfig } from '../src/cli/shared/run-dir.js';
import { decodeIds, encodeTexts, loadTokenizer } from '../src/tokenizer/tokenizer.js';

const [runDir, dataDir, taskList = 'piqa,arc_easy,hellaswag,lambada,blimp', limitArg = '100', batchArg = '32', quantumArg = 'auto'] = process.argv.slice(2);
if (!runDir || !dataDir) {
  console.error('usage: node dist/bench/eval.js RUN_DIR DATA_DIR [tasks] [limit] [batch] [quantum|auto]');
  process.exit(2);
}
const backend = await selectBackend('auto');
const saved = await readRunConfig(runDir);
const seqLen = Number((saved.pipeline['data'] as { seqLen?: number }).seqLen ?? 1024);
const steps = await checkpointSteps(runDir);
const step = steps[steps.length - 1]!;
const { model } = await modelFromCheckpoint(join(runDir, 'checkpoints', `step-${step}`), createMoeLayer);
const tok = loadTokenizer(join(runDir, 'tokenizer.json'));
const tokenizer = { encode: (t: readonly string[]) => encodeTexts(tok, t), decode: (ids: ArrayLike<number>) => decodeIds(tok, ids) };
const batch = Number(batchArg);
// quantum 'auto': evaluation's default (padLength picks it per batch from the longest row).
const quantum = quantumArg !== 'auto' ? Number(quantumArg) : undefined;
const shareEnv = process.env['MOEFLOW_SHARE_CONTEXT'];
const share: boolean | 'always' = shareEnv === '0' ? false : shareEnv === 'always' ? 'always' : true;
const inner = new LmContinuationScorer(model, { maxTokens: seqLen, step, shareContext: share, ...(quantum !== undefined ? { quantum } : {}) });
let tokens = 0;
let modelRows = 0;
let paddedRows = 0;
const counting: ContinuationScorer = {
  maxTokens: inner.maxTokens,
  score: (reqs: readonly ContinuationRequest[]) => {
    for (const r of reqs) tokens += r.context.length + r.continuation.length - 1;
    const l = inner.layout(reqs);
    modelRows += l.rows;
    paddedRows += l.groups.length * l.T;
    return inner.score(reqs);
  },
};

const tasks: { task: string; items: number; seconds: number; itemsPerSecond: number }[] = [];
let evalSeconds = 0;
for (const name of taskList.split(',')) {
  const { items } = await loadTaskItems(evalTask(name), { dataDir, limit: Number(limitArg) });
  const t0 = performance.now();
  await scoreItems(items, { tokenizer, scorer: counting, batchSize: batch });
  const seconds = (performance.now() - t0) / 1000;
  evalSeconds += seconds;
  tasks.push({ task: name, items: items.length, seconds, itemsPerSecond: items.length / seconds });
}

// Plain forward on full windows, same model and batch size, after one warm-up.
const rows = Math.max(1, Math.min(batch, 8));
const ids = tf.tensor1d(Int32Array.from({ length: rows * seqLen }, (_, i) => (i * 7919) % model.config.vocabSize), 'int32');
const forward = async (): Promise<void> => {
  const logits = tf.tidy(() => model.forward(ids, rows, seqLen, { training: false, step, totalSteps: 1 }).logits);
  await logits.data();
  logits.dispose();
};
await forward();
const reps = 3;
const f0 = performance.now();
for (let i = 0; i < reps; i++) await forward();
const forwardTokensPerSecond = (reps * rows * seqLen) / ((performance.now() - f0) / 1000);
const evalTokensPerSecond = tokens / evalSeconds;
console.log(JSON.stringify({
  bench: 'eval', backend: backend.name, runDir, step, seqLen, batch, quantum: quantumArg, tasks,
  shareContext: share, evaluatedTokens: tokens, modelRows, paddedRows, paddingShare: 1 - modelRows / paddedRows, evalTokensPerSecond, forwardTokensPerSecond,
  ratio: evalTokensPerSecond / forwardTokensPerSecond, target: 0.7,
}, null, 2));
model.dispose();
ids.dispose();
