/**
 * The data side of a run, built from the pipeline's `data` section: the tokenizer (trained
 * or loaded, kept in the run directory), the held-out documents, the training flow
 * (sources → [mix by weight] → the operators of `data.flow`, by default tokenize → pack →
 * shuffle → batch → prefetch) and the fixed
 * evaluation batches.
 *
 * Held-out rule: the held-out documents are every document of `data.heldOut.files` plus the
 * first `data.heldOut.docs` documents of the training files (`data.files`, or every file of
 * `data.sources`) in the canonical order of the files
 * (sorted, not shuffled: independent of seed and epoch). Those documents (by file and line)
 * never enter training, in any epoch, nor the tokenizer's training sample.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PipelineConfig } from '../../config/schema.js';
import type { TokenBatch } from '../../models/train-types.js';
import type { BatchEncoder } from '../../tokenizer/batch-encoder.js';
import { filter } from '../../ops/filter.js';
import { assembleFlow } from '../../ops/flow/assemble.js';
import { SOURCE_ITEMS } from '../../ops/flow/chain.js';
import { defaultFlow } from '../../ops/flow/default-flow.js';
import type { FlowContext, FlowStep, ItemKind } from '../../ops/flow/flow-op.js';
import { flowOp } from '../../ops/flow/registry.js';
import type { TextRecord } from '../../ops/items/text-record.js';
import { separatorId, tokenizerFromJson, vocabSize } from '../../tokenizer/tokenizer.js';
import { trainTokenizer } from '../../tokenizer/train-bpe.js';
import { writeFileAtomic } from '../../sinks/atomic-file.js';
import { fromArray, llava, mix, pipe, repeat, resolveFiles, slimPajama, type Flow } from '../../streams/index.js';

/** Name of the tokenizer file inside the run directory (a resume reuses it). */
export const RUN_TOKENIZER = 'tokenizer.json';

export interface RunTokenizer {
  readonly json: string;
  readonly vocabSize: number;
  readonly separatorId: number;
  /** How it was obtained, for the log. */
  readonly origin: string;
}

const key = (r: TextRecord): string => `${r.provenance.file}:${r.provenance.line}`;

/** The held-out documents (see the rule above), in a fixed order. */
export async function heldOutDocuments(config: PipelineConfig): Promise<TextRecord[]> {
  const { heldOut, onError } = config.data;
  const files = trainingFiles(config.data);
  const out: TextRecord[] = [];
  if (heldOut.files?.length) {
    const train = new Set(resolveFiles(files));
    const overlap = resolveFiles(heldOut.files).filter((f) => train.has(f));
    if (overlap.length) throw new Error(`data.heldOut.files: ${overlap.join(', ')} ${overlap.length > 1 ? 'are' : 'is'} also in data.files; held-out files must be separate (or use data.heldOut.docs)`);
    for await (const r of slimPajama({ files: heldOut.files, onError, shuffleFiles: false })()) out.push(r);
  }
  if (heldOut.docs > 0) {
    let n = 0;
    // The first few documents of the first file: decoded in this thread, block by block, as far as
    // they reach (~10 ms). Starting the zstd CLI forks this process, large with the wasm heap:
    // ~0.2 s for a handful of documents (docs/analysis.md "Speed").
    for await (const r of slimPajama({ files, onError, shuffleFiles: false, decoder: 'js' })()) {
      out.push(r);
      if (++n >= heldOut.docs) break;
    }
  }
  return out;
}

/** The documents training may use: everything except the held-out ones. */
function training(source: Flow<TextRecord>, heldOut: ReadonlySet<string>): Flow<TextRecord> {
  return heldOut.size === 0 ? source : pipe(source, filter<TextRecord>((r) => !heldOut.has(key(r)), 'held-out filter'));
}

/**
 * The run's tokenizer: the one saved in the run directory (a resumed run), else
 * `data.tokenizer.path`, else trained on the first `sampleDocs` training documents (canonical
 * order). It is written to RUN_DIR/tokenizer.json so the run is self-contained.
 */
export async function runTokenizer(config: PipelineConfig, runDir: string, heldOut: ReadonlySet<string>, log: (s: string) => void): Promise<RunTokenizer> {
  const saved = join(runDir, RUN_TOKENIZER);
  let json: string;
  let origin: string;
  const spec = config.data.tokenizer;
  if (existsSync(saved)) {
    json = await readFile(saved, 'utf8');
    origin = `${saved} (this run's)`;
  } else if ('path' in spec) {
    try {
      json = await readFile(spec.path, 'utf8');
    } catch (e) {
      throw new Error(`data.tokenizer.path: cannot read ${spec.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    origin = spec.path;
  } else {
    const t0 = Date.now();
    log(`training the tokenizer (${spec.train.vocabSize} pieces on ${spec.train.sampleDocs} documents)…\n`);
    const texts = async function* (): AsyncGenerator<string> {
      const docs = training(slimPajama({ files: trainingFiles(config.data), onError: config.data.onError, shuffleFiles: false }), heldOut);
      for await (const r of docs()) yield r.text;
    };
    const trained = await trainTokenizer(texts(), { vocabSize: spec.train.vocabSize, sampleDocs: spec.train.sampleDocs });
    json = trained.json;
    origin = `trained on ${trained.sample.docs} documents in ${((Date.now() - t0) / 1000).toFixed(1)} s`;
  }
  if (!existsSync(saved)) await writeFileAtomic(saved, Buffer.from(json));
  let tok;
  try {
    tok = tokenizerFromJson(json);
  } catch (e) {
    throw new Error(`tokenizer (${origin}): not a valid tokenizer.json: ${(e as Error).message}`);
  }
  return { json, vocabSize: vocabSize(tok), separatorId: separatorId(tok), origin };
}

/** Rows per optimiser step: `batchSize · accumulate` windows, split into `accumulate` micro-batches by the trainer. */
export function stepRows(config: PipelineConfig): number {
  return config.data.batchSize * config.trainer.accumulate;
}

/** One training source, resolved: its kind, files, weight, kept domains, own operators, and how errors name it. */
interface TrainingSource {
  readonly kind: keyof typeof SOURCE_ITEMS;
  readonly files: readonly string[];
  readonly weight: number;
  readonly domains?: readonly string[];
  /** LLaVA: the image root. */
  readonly images?: string;
  /** Operators on this source alone, before the mix. */
  readonly flow?: readonly FlowStep[];
  /** `data.sources[i]`, for errors. */
  readonly label: string;
  /** Says in the pipeline's terms that a source has no documents. */
  readonly empty: string;
}

/**
 * The run's sources: `data.sources` as stated, or `data.files` (one source) mixed by domain with
 * `data.weights` (one source per weighted domain, sorted by name; weight 0 = not used).
 */
function trainingSources(d: PipelineConfig['data']): TrainingSource[] {
  if (d.sources) {
    return d.sources.map((s, i) => ({
      kind: s.kind ?? 'slimpajama', files: s.files, weight: s.weight, label: `data.sources[${i}]`,
      ...(s.domains ? { domains: s.domains } : {}), ...(s.images !== undefined ? { images: s.images } : {}), ...(s.flow ? { flow: s.flow } : {}),
      empty: `data.sources[${i}]${s.name ? ` (${s.name})` : ''}: no training ${s.kind === 'llava' ? 'records' : 'documents'}${s.domains ? ` of domain ${s.domains.join(', ')}` : ''} in its files`,
    }));
  }
  const files = d.files!;
  if (!d.weights || Object.keys(d.weights).length === 0) return [{ kind: 'slimpajama', files, weight: 1, label: 'data.files', empty: 'data.files: no training documents' }];
  const used = Object.entries(d.weights).filter(([, w]) => w > 0).sort(([a], [b]) => a.localeCompare(b));
  if (used.length === 0) throw new Error('data.weights: every weight is 0; nothing to train on');
  return used.map(([domain, weight]) => ({
    kind: 'slimpajama' as const, files, weight, domains: [domain], label: 'data.files',
    empty: `data.weights: domain "${domain}" has no training documents in data.files (a document's domain is meta.redpajama_set_name)`,
  }));
}

/**
 * Every text training file of the pipeline (for the held-out rule and the tokenizer sample), in
 * stated order: `data.files`, or the files of the SlimPajama sources (LLaVA records are not documents).
 */
export function trainingFiles(d: PipelineConfig['data']): string[] {
  return d.files ? [...d.files] : [...new Set(d.sources!.filter((s) => (s.kind ?? 'slimpajama') === 'slimpajama').flatMap((s) => s.files))];
}

/** The operators of the flow: `data.flow` as stated, or the default chain. */
export function flowSteps(d: PipelineConfig['data']): FlowStep[] {
  return d.flow ? [...d.flow] : defaultFlow(d);
}

/** What the flow gives the trainer: token batches (the language model) or padded sample batches (image-text). */
export function flowOutput(d: PipelineConfig['data']): ItemKind {
  const steps = flowSteps(d);
  return flowOp(steps[steps.length - 1]!.op)?.output ?? 'batch';
}

/**
 * The whole data flow of a pipeline (a `Flow`: call it fresh, or with a saved state): each
 * source (epochs repeat without end, each with the file order of (seed, epoch); SlimPajama
 * documents held out are left out) with its own operators, the sources mixed by weight when
 * there are several, then the operators of `data.flow`. Gives what `flowOutput` says.
 */
export function dataFlow(config: PipelineConfig, ctx: FlowContext, heldOut: ReadonlySet<string> = new Set()): Flow<unknown> {
  const d = config.data;
  const endless = (src: TrainingSource): Flow<unknown> => {
    const records: Flow<unknown> = src.kind === 'llava'
      ? repeat((epoch) => llava({ files: src.files, imageRoot: src.images!, onError: d.onError, seed: d.seed, epoch }), { epochs: Infinity })
      : repeat((epoch) => {
        const docs = training(slimPajama({ files: src.files, onError: d.onError, seed: d.seed, epoch }), heldOut);
        if (!src.domains) return docs;
        const keep = new Set(src.domains);
        return pipe(docs, filter<TextRecord>((r) => keep.has(r.domain), 'domain filter'));
      }, { epochs: Infinity });
    if (!src.flow) return records;
    return assembleFlow(records, src.flow, ctx, { from: SOURCE_ITEMS[src.kind], partial: true, label: `${src.label}.flow` });
  };
  const sources = trainingSources(d);
  // One source is read directly (no mix): the state of a plain data.files run stays as it was.
  const source = sources.length === 1 && sources[0]!.domains === undefined
    ? endless(sources[0]!)
    : mix(sources.map((src) => ({ weight: src.weight, flow: named(endless(src), src.empty) })), { seed: d.seed });
  const from = sources[0]!.flow ? flowOp(sources[0]!.flow[sources[0]!.flow.length - 1]!.op)!.output : SOURCE_ITEMS[sources[0]!.kind];
  return assembleFlow(source, flowSteps(d), ctx, { from });
}

/**
 * The training data flow of `pipeline run`: the language model's token batches. A pipeline whose
 * flow ends with padded image-text batches is for the vision-language trainer (not here yet).
 */
export function trainingFlow(config: PipelineConfig, encoder: BatchEncoder, tok: RunTokenizer, heldOut: ReadonlySet<string>): Flow<TokenBatch> {
  const problem = imageTextProblem(config.data);
  if (problem) throw new Error(problem);
  return dataFlow(config, flowContext(config, encoder, tok, false), heldOut) as Flow<TokenBatch>;
}

/** Why `pipeline run` cannot train on this data section (image-text batches), or undefined. */
export function imageTextProblem(d: PipelineConfig['data']): string | undefined {
  if (flowOutput(d) !== 'sampleBatch') return undefined;
  return 'data.flow: ends with padded sample batches (image-text); pipeline run trains the language model on token batches, and the vision-language trainer that takes these is not available yet (inspect the data with pipeline inspect)';
}

/** Whether an operator of the pipeline needs the tokenizer itself (not only its ids). */
function needsTokenizer(d: PipelineConfig['data']): boolean {
  const steps = [...flowSteps(d), ...(d.sources ?? []).flatMap((s) => s.flow ?? [])];
  return steps.some((s) => s.op === 'conversation');
}

/** What the operators get from the run: sizes, seed, tokenizer, error policy. */
export function flowContext(config: PipelineConfig, encoder: BatchEncoder, tok: Pick<RunTokenizer, 'json' | 'separatorId'>, evaluation: boolean): FlowContext {
  return {
    encoder, separatorId: tok.separatorId, seqLen: config.data.seqLen, batchSize: config.data.batchSize,
    accumulate: config.trainer.accumulate, seed: config.data.seed, evaluation, onError: config.data.onError,
    ...(needsTokenizer(config.data) ? { tokenizer: tokenizerFromJson(tok.json) } : {}),
  };
}

/** A source without documents makes its endless repeat fail; say which one, in the pipeline's terms. */
function named<T>(flow: Flow<T>, empty: string): Flow<T> {
  return (resume) => {
    const stage = flow(resume);
    return {
      state: () => stage.state(),
      ...(stage.stats ? { stats: () => stage.stats!() } : {}),
      ...(stage.close ? { close: () => stage.close!() } : {}),
      async *[Symbol.asyncIterator]() {
        try {
          yield* stage;
        } catch (e) {
          if (/produced no items/.test((e as Error).message)) throw new Error(empty, { cause: e });
          throw e;
        }
      },
    };
  };
}

/** The evaluation batches: the held-out documents packed like training data (no shuffle), the first `evalBatches` full batches. */
export async function evalBatches(config: PipelineConfig, docs: readonly TextRecord[], encoder: BatchEncoder, tok: RunTokenizer): Promise<TokenBatch[]> {
  const rows = stepRows(config);
  // The training operators without the training-only ones (shuffle): held-out documents packed like training data.
  const flow = assembleFlow(fromArray([...docs]), flowSteps(config.data), flowContext(config, encoder, tok, true));
  const out: TokenBatch[] = [];
  const stage = flow();
  for await (const b of stage) {
    out.push(b);
    if (out.length >= config.trainer.evalBatches) break;
  }
  if (out.length === 0) {
    throw new Error(`the held-out data (${docs.length} documents) does not fill one evaluation batch of ${rows} windows of ${config.data.seqLen + 1} tokens; raise data.heldOut.docs or add data.heldOut.files`);
  }
  return out;
}

export { key as documentKey };
