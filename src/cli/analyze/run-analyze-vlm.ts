/**
 * `pipeline analyze` on a vision-language run (`model.vlm`, docs/analysis.md "VLM runs"): the
 * probe records (vlm-probe-set.ts) through each chosen checkpoint in evaluation mode, intact and
 * under DropTop-1 / DropTop-1&2 (every MoE layer of every component), every routed token's route
 * per component (vision encoder layer i, projector, decoder block i when the decoder is MoE),
 * the metric families per component (analyseCheckpoints with one token space per component),
 * and the answer tokens' perplexity as the ablation's measure. Writes what the LM analysis
 * writes (write-analysis.ts).
 */
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { analyseCheckpoints, type CheckpointProbe, type LayerRoutes, type TokenSpace } from '../../analysis/analyse-checkpoints.js';
import { aniParameter, expertWeightAni } from '../../analysis/expert-weight-ani.js';
import type { PipelineConfig } from '../../config/schema.js';
import { selectBackend } from '../../models/backend.js';
import { probeVlmRoutes, vlmFromCheckpoint, vlmMoeLayerWeights, type VlmProbeResult } from '../../models/vlm/index.js';
import { chooseSteps } from '../eval/run-eval.js';
import { RUN_TOKENIZER } from '../run/data-plan.js';
import { UsageError } from '../shared/errors.js';
import type { AnalyzeSummary, RunAnalyzeOptions } from './run-analyze.js';
import { loadVlmProbeSet, type VlmProbeSet } from './vlm-probe-set.js';
import { writeAnalysis } from './write-analysis.js';

export async function runAnalyzeVlm(o: RunAnalyzeOptions, config: PipelineConfig, savedRunId: string | undefined): Promise<AnalyzeSummary> {
  const t0 = performance.now();
  const log = o.log ?? (() => undefined);
  if (o.probeTasks || o.taskProbe) throw new UsageError(`${o.runDir} is a VLM run: --probe TASKS names language-model evaluation tasks; give --probe FILES (LLaVA .json/.jsonl) or leave --probe out for the run's held-out records`, 'analyze');
  if (o.probeRecords) throw new Error(`${o.runDir} is a VLM run: pipeline analyze --compare lines up language-model runs only`);
  const runId = savedRunId ?? o.runDir.split('/').filter(Boolean).pop()!;
  const steps = await chooseSteps(o.runDir, o.checkpoints);
  const tokenizerJson = await readFile(join(o.runDir, RUN_TOKENIZER), 'utf8');
  const probe = await loadVlmProbeSet(config, tokenizerJson, {
    ...(o.probeFiles ? { files: o.probeFiles } : {}), ...(o.images !== undefined ? { images: o.images } : {}),
    perDomain: o.docsPerDomain, batchSize: o.batchSize,
  });
  log(`probe set: ${probe.rowDomains.length} records in ${probe.batches.length} batches from ${probe.source} (${probe.read} read, ${probe.leftOut} left out by --docs-per-domain); ${[...probe.domains].map(([d, n]) => `${d} ${n}`).join(', ')}\n`);
  const backend = await selectBackend(o.backend ?? config.trainer.backend, { matmul: config.trainer.matmul });
  const phases = { setup: 0, load: 0, weights: 0, probe: 0, dropTop: 0, accuracy: 0, metrics: 0, write: 0, plots: 0 };
  let lap = performance.now();
  const spent = (phase: keyof typeof phases): void => { const now = performance.now(); phases[phase] += (now - lap) / 1000; lap = now; };
  phases.setup = (lap - t0) / 1000;

  const probes: CheckpointProbe[] = [];
  let first: VlmProbeResult | undefined;
  for (const step of steps) {
    const model = await vlmFromCheckpoint(join(o.runDir, 'checkpoints', `step-${step}`));
    spent('load');
    try {
      const weights = await vlmMoeLayerWeights(model, aniParameter);
      const weightAni = weights.flatMap((w) => expertWeightAni([w]).map((a) => ({ ...a, component: w.component })));
      spent('weights');
      const base = { step, totalSteps: config.trainer.steps };
      const intact = await probeVlmRoutes(model, probe.batches, base);
      spent('probe');
      first ??= intact;
      const nextLogprob = new Map<number, Float32Array>([[0, intact.answerLogprob]]);
      for (const n of o.dropTop) nextLogprob.set(n, (await probeVlmRoutes(model, probe.batches, { ...base, dropTop: n })).answerLogprob);
      spent('dropTop');
      probes.push({ step, layers: intact.layers as readonly LayerRoutes[], nextLogprob, weightAni });
      const counts = (['vision', 'projector', 'language_model'] as const).map((c) => [c, intact.layers.filter((l) => l.component === c).length, intact.spaces[c].tokens] as const).filter(([, n]) => n > 0);
      log(`step ${step}: ${counts.map(([c, n, t]) => `${c} ${n} MoE layer${n > 1 ? 's' : ''} × ${t} tokens`).join(', ') || 'no MoE layer'}${o.dropTop.length ? `; DropTop ${o.dropTop.join(', ')}` : ''}\n`);
    } finally {
      model.dispose();
    }
  }
  if (probes[0]?.layers.length === 0) throw new Error(`${o.runDir}: the VLM has no MoE layer (dense tower, projector and decoder); there is no routing to analyse`);
  const spaces = tokenSpaces(first!, probe);
  const rows = analyseCheckpoints(probes, { runId, tokenIds: [], domains: [], spaces, windowTokens: o.windowTokens, minOccurrences: o.minOccurrences });
  spent('metrics');
  const answerTokens = first!.answerLogprob.reduce((n, x) => n + (Number.isNaN(x) ? 0 : 1), 0);
  const written = await writeAnalysis(join(o.runDir, 'analysis'), rows, o.plots, {
    runId, steps,
    probe: { documents: probe.rowDomains.length, tokens: first!.spaces.language_model.tokens, source: probe.source, domains: probe.domains, unit: 'records' },
    notes: vlmNotes(first!, answerTokens),
  });
  phases.write += written.writeSeconds;
  phases.plots += written.plotSeconds;
  const routed = Math.max(...(['vision', 'projector', 'language_model'] as const).map((c) => first!.spaces[c].tokens));
  return { runId, backend: backend.name, steps, probeTokens: routed, files: written.files, rows, probeSource: probe.source, probeSeconds: phases.probe, totalSeconds: (performance.now() - t0) / 1000, phases };
}

/** Each component's token space: ids (positions for image tokens), the record's domain, the modality. */
function tokenSpaces(r: VlmProbeResult, probe: VlmProbeSet): Record<'vision' | 'projector' | 'language_model', TokenSpace> {
  const domains = (rows: Int32Array): string[] => Array.from(rows, (row) => probe.rowDomains[row]!);
  const lm = r.spaces.language_model;
  return {
    vision: { tokenIds: r.spaces.vision.id, domains: domains(r.spaces.vision.row) },
    projector: { tokenIds: r.spaces.projector.id, domains: domains(r.spaces.projector.row) },
    language_model: { tokenIds: lm.id, domains: domains(lm.row), modalities: Array.from(lm.image!, (x) => (x ? 'image' : 'text')) },
  };
}

/** What analysis.md says about a VLM's components and modalities. */
function vlmNotes(r: VlmProbeResult, answerTokens: number): string[] {
  const has = (c: string): boolean => r.layers.some((l) => l.component === c);
  const moe = [has('vision') ? 'vision tower' : '', has('projector') ? 'projector' : '', has('language_model') ? 'language model' : ''].filter(Boolean);
  const lines = [
    `Vision-language run: MoE in the ${moe.length > 1 ? `${moe.slice(0, -1).join(', ')} and ${moe[moe.length - 1]}` : moe[0]}. Tokens routed: vision ${r.spaces.vision.tokens} (every tower token of every S² call), projector ${r.spaces.projector.tokens} (image feature rows), language model ${r.spaces.language_model.tokens} (spliced rows: ${r.spaces.language_model.image!.reduce((n, x) => n + x, 0)} image, the rest text).`,
  ];
  if (has('language_model')) lines.push('The language model routes image-feature rows and text tokens: specialisation.parquet splits it by modality (rows with domain \'all\' and modality image / text).');
  else lines.push('Only the vision tower and the projector are MoE, and every token they route is an image token: there is no per-modality split to draw (every specialisation row is modality image).');
  lines.push(`Domains are the probe files' names; vocabulary.parquet's token_id is the position in the image for vision and projector rows. Ablation: perplexity of the ${answerTokens} answer tokens (teacher-forced), every MoE layer of every component under DropTop.`);
  return lines;
}
