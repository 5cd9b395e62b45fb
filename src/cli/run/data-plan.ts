/**
 * The data side of a run, built from the pipeline's `data` section: the tokenizer (trained
 * or loaded, kept in the run directory), the held-out documents, the training flow
 * (source → [mix by domain] → tokenize → pack → shuffle → batch → prefetch) and the fixed
 * evaluation batches.
 *
 * Held-out rule: the held-out documents are every document of `data.heldOut.files` plus the
 * first `data.heldOut.docs` documents of `data.files` in the canonical order of the files
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
import { textFlow } from '../../ops/text-flow.js';
import type { TextRecord } from '../../ops/items/text-record.js';
import { separatorId, tokenizerFromJson, vocabSize } from '../../tokenizer/tokenizer.js';
import { trainTokenizer } from '../../tokenizer/train-bpe.js';
import { writeFileAtomic } from '../../sinks/atomic-file.js';
import { fromArray, mix, pipe, repeat, resolveFiles, slimPajama, type Flow } from '../../streams/index.js';

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
  const { heldOut, files, onError } = config.data;
  const out: TextRecord[] = [];
  if (heldOut.files?.length) {
    const train = new Set(resolveFiles(files));
    const overlap = resolveFiles(heldOut.files).filter((f) => train.has(f));
    if (overlap.length) throw new Error(`data.heldOut.files: ${overlap.join(', ')} ${overlap.length > 1 ? 'are' : 'is'} also in data.files; held-out files must be separate (or use data.heldOut.docs)`);
    for await (const r of slimPajama({ files: heldOut.files, onError, shuffleFiles: false })()) out.push(r);
  }
  if (heldOut.docs > 0) {
    let n = 0;
    for await (const r of slimPajama({ files, onError, shuffleFiles: false })()) {
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
      const docs = training(slimPajama({ files: config.data.files, onError: config.data.onError, shuffleFiles: false }), heldOut);
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

/**
 * The training data flow (a `Flow`: call it fresh, or with a checkpoint's saved state).
 * Epochs repeat without end (each with the file order of (seed, epoch)); the step count ends
 * the run. With `data.weights`, documents are drawn per domain with those weights (domains
 * not listed, or with weight 0, are not used).
 */
export function trainingFlow(config: PipelineConfig, encoder: BatchEncoder, tok: RunTokenizer, heldOut: ReadonlySet<string>): Flow<TokenBatch> {
  const d = config.data;
  const epochSource = (epoch: number, keep?: (r: TextRecord) => boolean): Flow<TextRecord> => {
    const src = training(slimPajama({ files: d.files, onError: d.onError, seed: d.seed, epoch }), heldOut);
    return keep ? pipe(src, filter(keep, 'domain filter')) : src;
  };
  let source: Flow<TextRecord>;
  if (d.weights && Object.keys(d.weights).length > 0) {
    const used = Object.entries(d.weights).filter(([, w]) => w > 0).sort(([a], [b]) => a.localeCompare(b));
    if (used.length === 0) throw new Error('data.weights: every weight is 0; nothing to train on');
    source = mix(used.map(([domain, weight]) => ({
      weight,
      flow: namedDomain(repeat((epoch) => epochSource(epoch, (r) => r.domain === domain), { epochs: Infinity }), domain),
    })), { seed: d.seed });
  } else {
    source = repeat((epoch) => epochSource(epoch), { epochs: Infinity });
  }
  return textFlow(source, {
    encoder, seqLen: d.seqLen, separatorId: tok.separatorId, batchSize: stepRows(config), dropRemainder: true,
    ...(d.shuffleBuffer > 0 ? { shuffle: { bufferSize: d.shuffleBuffer, seed: d.seed } } : {}),
    prefetch: 2,
  });
}

/** A weighted domain without documents makes its endless repeat fail; say which domain, in the pipeline's terms. */
function namedDomain(flow: Flow<TextRecord>, domain: string): Flow<TextRecord> {
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
          if (/produced no items/.test((e as Error).message)) {
            throw new Error(`data.weights: domain "${domain}" has no training documents in data.files (a document's domain is meta.redpajama_set_name)`, { cause: e });
          }
          throw e;
        }
      },
    };
  };
}

/** The evaluation batches: the held-out documents packed like training data (no shuffle), the first `evalBatches` full batches. */
export async function evalBatches(config: PipelineConfig, docs: readonly TextRecord[], encoder: BatchEncoder, tok: RunTokenizer): Promise<TokenBatch[]> {
  const rows = stepRows(config);
  const flow = textFlow(fromArray([...docs]), { encoder, seqLen: config.data.seqLen, separatorId: tok.separatorId, batchSize: rows, dropRemainder: true, prefetch: 1 });
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
