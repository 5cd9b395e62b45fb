/**
 * `pipeline eval` on a VLM run (checkpoints/step-N/vlm.json, as saveVlmWeights writes it):
 * load the VLM tasks' items (every bad row reported before any model work), then per chosen
 * checkpoint build the VLM from its folder, answer every task not yet in eval/results greedily,
 * and write eval/vlm-items (+ eval/vlm-routing with --routing) and eval/results, results last.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { loadedTaskLog } from '../../eval/data/bad-rows.js';
import type { MetricRow } from '../../eval/scoring/task-metrics.js';
import type { VlmItemResult } from '../../eval/vlm/results.js';
import { loadVlmItems, type LoadedVlmTask } from '../../eval/vlm/load-vlm-items.js';
import { scoreVlmTask } from '../../eval/vlm/score-vlm-task.js';
import { vlmTask } from '../../eval/vlm/tasks/registry.js';
import { selectBackend, type BackendRequest, type MatMulRequest } from '../../models/backend.js';
import { vlmFromCheckpoint } from '../../models/vlm/model/vlm-checkpoint.js';
import { evalResultRows, type EvalRunKey } from '../../sinks/tables/eval-results.js';
import { EvalTables } from '../../sinks/tables/eval-tables.js';
import { vlmItemRows, vlmRoutingRows } from '../../sinks/tables/eval-vlm.js';
import { loadTokenizer } from '../../tokenizer/tokenizer.js';
import { RUN_TOKENIZER } from '../run/data-plan.js';
import { readRunConfig } from '../shared/run-dir.js';
import type { EvalSummary, RunEvalOptions, TaskOutcome } from './run-eval.js';
import { chooseSteps } from './run-eval.js';
import { ModelVlmAnswerer } from './vlm-answerer.js';

/** Whether checkpoint `step` of the run is a VLM checkpoint (has vlm.json). */
export async function isVlmCheckpoint(runDir: string, step: number): Promise<boolean> {
  try {
    await access(join(runDir, 'checkpoints', `step-${step}`, 'vlm.json'));
    return true;
  } catch {
    return false;
  }
}

/**
 * The headline of a VLM task: the share of items lmms-eval's reading gets right (POPE's
 * `pope_accuracy`, ScienceQA's `exact_match`; MME's question accuracy, beside its scores).
 */
export function vlmHeadline(results: readonly VlmItemResult[]): number | undefined {
  return results.length ? results.filter((r) => r.lmmsEval.correct).length / results.length : undefined;
}

export async function runVlmEval(o: RunEvalOptions, steps: readonly number[]): Promise<EvalSummary> {
  const log = o.log ?? (() => undefined);
  const saved = await readRunConfig(o.runDir);
  const runId = saved.run?.id ?? o.runDir.split('/').filter(Boolean).pop()!;
  const limit = o.limit ?? 0;
  const tasks = o.tasks.map(vlmTask);
  const loaded: LoadedVlmTask[] = [];
  for (const task of tasks) {
    const l = await loadVlmItems(task, {
      ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}),
      ...(o.taskFiles?.[task.name] ? { files: o.taskFiles[task.name] } : {}),
      ...(o.imageDir !== undefined ? { imageDir: o.imageDir } : {}),
      onBadRow: o.onBadRow ?? 'fail',
      ...(limit > 0 ? { limit } : {}),
    });
    log(loadedTaskLog(task.name, l.counts, l.files.join(', '), l.skippedExamples));
    loaded.push(l);
  }
  const tables = await EvalTables.open(o.runDir);
  if (tables.droppedItems > 0) log(`eval: removed ${tables.droppedItems} item rows of a task whose results were never written (an interrupted eval)\n`);
  const trainer = (saved.pipeline['trainer'] ?? {}) as { backend?: BackendRequest; matmul?: MatMulRequest };
  const backend = await selectBackend(o.backend ?? trainer.backend ?? 'auto', { matmul: trainer.matmul ?? 'auto' });
  const tok = loadTokenizer(join(o.runDir, RUN_TOKENIZER));
  const outcomes: TaskOutcome[] = [];
  for (const step of steps) {
    const keys = loaded.map((l): EvalRunKey => ({ runId, step, task: l.task.name, itemLimit: limit }));
    const todo = loaded.filter((_, i) => !tables.isDone(keys[i]!));
    for (const l of loaded) if (!todo.includes(l)) outcomes.push({ step, task: l.task.name, status: 'skipped' });
    if (todo.length === 0) { log(`step ${step}: every task is already in eval/results\n`); continue; }
    const model = await vlmFromCheckpoint(join(o.runDir, 'checkpoints', `step-${step}`));
    try {
      for (const l of todo) {
        const key: EvalRunKey = { runId, step, task: l.task.name, itemLimit: limit };
        const t0 = performance.now();
        const answerer = new ModelVlmAnswerer(model, tok, { ...(o.routing ? { routing: true } : {}), ...(o.maxNewTokens !== undefined ? { maxNewTokens: o.maxNewTokens } : {}) });
        const scored = await scoreVlmTask(l.items, answerer, { task: l.task, batchSize: o.batchSize ?? 8 });
        const seconds = (performance.now() - t0) / 1000;
        const c = l.counts;
        const metrics: MetricRow[] = [
          ...scored.metrics,
          ...(['read', 'used', 'skipped', 'excluded'] as const).map((m): MetricRow => ({ group: 'all', protocol: 'moeflow', metric: m, value: c[m], n: c.read })),
        ];
        await tables.write(key, {
          vlmItems: vlmItemRows(key, scored.results, answerer.info),
          ...(o.routing ? { vlmRouting: vlmRoutingRows(key, scored.results.map((r) => r.id), answerer.info) } : {}),
          results: evalResultRows(key, metrics),
        });
        const headline = vlmHeadline(scored.results);
        outcomes.push({ step, task: l.task.name, status: 'done', items: scored.results.length, seconds, ...(headline !== undefined ? { headline } : {}) });
        log(`step ${step} ${l.task.name}: accuracy ${headline === undefined ? '—' : (100 * headline).toFixed(2)} on ${scored.results.length} items (${(scored.results.length / seconds).toFixed(1)} items/s)\n`);
      }
    } finally {
      model.dispose();
    }
  }
  return { runId, backend: backend.name, steps, outcomes };
}
