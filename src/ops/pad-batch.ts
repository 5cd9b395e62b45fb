import type { Json } from '../base/json.js';
import { type Op, type Stage, type StageState, opState } from '../streams/stage.js';
import { IGNORE_INDEX } from './items/conversation-sample.js';
import type { ImageTextBatch, PaddableSample } from './items/image-text-batch.js';
import { closeUpstream, opStats, pull } from './support/pulled.js';

export interface PadBatchOptions {
  /** Samples per batch. */
  readonly size: number;
  /** Id that fills padded positions (LibMoE's Phi-3.5: the unk token, 0). */
  readonly padId: number;
  /**
   * 'none' (default): batches in input order. 'modality': LLaVA's `group_by_modality_length`
   * split: image and text-only samples in separate batches. 'modality-length': that, and within
   * each modality samples sorted longest first, so a batch pads little.
   */
  readonly groupBy?: 'none' | 'modality' | 'modality-length';
  /**
   * Grouping happens within windows of `size × windowBatches` samples (default 8 when grouping):
   * the leftovers of both modalities form the window's last, mixed batch (as LLaVA's sampler
   * does with its `additional_batch`). Larger windows group better and read further ahead.
   */
  readonly windowBatches?: number;
  /** A final window smaller than a batch: emit it (default) or drop it (counted). */
  readonly dropRemainder?: boolean;
}

/** The op's own state: how many batches of the current window the consumer has received. */
interface PadBatchLocal {
  emitted: number;
}

/**
 * Pads samples into batches (pad id, labels −100, attention mask), optionally grouped by
 * modality and length. Deterministic: batches depend only on the input order.
 *
 * Resume: a window's batches are a function of the window's samples, so the state is the
 * upstream's state *at the window's start* plus the number of the window's batches already
 * delivered; a resumed stage re-reads the window and skips those. Nothing buffered is lost and
 * no sample's bytes go into the state.
 *
 * @example
 * const batches = pipe(llava(opts), conversation({ tokenizer }), preprocessImages({ processor: 'clip336' }),
 *   padBatch({ size: 8, padId: 0, groupBy: 'modality-length' }));
 */
export function padBatch<T extends PaddableSample>(options: PadBatchOptions): Op<T, ImageTextBatch> {
  const { size, padId } = options;
  const groupBy = options.groupBy ?? 'none';
  const windowBatches = options.windowBatches ?? (groupBy === 'none' ? 1 : 8);
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`padBatch: size must be a positive integer, got ${size}`);
  if (!Number.isInteger(windowBatches) || windowBatches < 1) throw new RangeError(`padBatch: windowBatches must be a positive integer, got ${windowBatches}`);
  if (!Number.isInteger(padId)) throw new RangeError(`padBatch: padId must be an integer, got ${padId}`);
  const windowSize = size * windowBatches;

  return (upstream, resume) => {
    const local = checkLocal(resume);
    // The upstream was rebuilt at the saved window's start: re-read it, skip what was delivered.
    let skip = local?.emitted ?? 0;
    let windowStart: StageState = upstream.state();
    let emitted = skip;
    const counts = { batches: 0, samples: 0, paddedPositions: 0, imageBatches: 0, textBatches: 0, mixedBatches: 0, samplesDropped: 0 };

    const stage: Stage<ImageTextBatch> = {
      state: () => opState({ emitted } satisfies PadBatchLocal as unknown as Json, windowStart),
      stats: () => opStats('padBatch', { groupBy, ...counts }, upstream),
      close: closeUpstream(upstream),
      async *[Symbol.asyncIterator]() {
        const iterator = upstream[Symbol.asyncIterator]();
        let ended = false;
        try {
          while (!ended) {
            const window: T[] = [];
            let endState: StageState = windowStart;
            while (window.length < windowSize) {
              const next = await pull(iterator, upstream);
              if (next === undefined) { ended = true; break; }
              window.push(next.value);
              endState = next.state;
            }
            if (window.length === 0) break;
            let groups = group(window, size, groupBy);
            if (ended && options.dropRemainder) {
              const kept = groups.filter((g) => g.length === size);
              counts.samplesDropped += window.length - kept.length * size;
              groups = kept;
            }
            for (let b = skip; b < groups.length; b++) {
              emitted = b + 1;
              if (b + 1 === groups.length) {
                // The window is done: the next position is the next window's start.
                windowStart = endState;
                emitted = 0;
              }
              yield assemble(groups[b]!, padId, counts);
            }
            if (skip >= groups.length) { windowStart = endState; emitted = 0; }
            skip = 0;
          }
        } finally {
          if (!ended) await iterator.return?.();
        }
      },
    };
    return stage;
  };
}

/** Splits a window into batches of samples (indices kept in input order within each rule). */
function group<T extends PaddableSample>(window: readonly T[], size: number, groupBy: 'none' | 'modality' | 'modality-length'): T[][] {
  const chunk = (items: readonly T[]): T[][] => {
    const out: T[][] = [];
    for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
    return out;
  };
  if (groupBy === 'none') return chunk(window);
  const byLength = (items: T[]) => groupBy === 'modality-length'
    ? items.map((s, i) => [s, i] as const).sort((a, b) => b[0].ids.length - a[0].ids.length || a[1] - b[1]).map(([s]) => s)
    : items;
  const images = byLength(window.filter((s) => s.modality === 'image'));
  const texts = byLength(window.filter((s) => s.modality === 'text'));
  const fullImages = Math.floor(images.length / size) * size;
  const fullTexts = Math.floor(texts.length / size) * size;
  const batches = [...chunk(images.slice(0, fullImages)), ...chunk(texts.slice(0, fullTexts))];
  const leftovers = [...images.slice(fullImages), ...texts.slice(fullTexts)];
  return [...batches, ...chunk(leftovers)];
}

function assemble(rows: readonly PaddableSample[], padId: number, counts: Record<string, number>): ImageTextBatch {
  const seqLen = rows.reduce((m, r) => Math.max(m, r.ids.length), 0);
  const n = rows.length;
  const ids = new Int32Array(n * seqLen).fill(padId);
  const labels = new Int32Array(n * seqLen).fill(IGNORE_INDEX);
  const attentionMask = new Uint8Array(n * seqLen);
  const imageRows: number[] = [];
  let imageShape: readonly [number, number, number] | undefined;
  rows.forEach((row, r) => {
    if (row.labels.length !== row.ids.length) throw new Error(`padBatch: a sample has ${row.ids.length} ids but ${row.labels.length} labels`);
    ids.set(row.ids, r * seqLen);
    labels.set(row.labels, r * seqLen);
    attentionMask.fill(1, r * seqLen, r * seqLen + row.ids.length);
    if (row.pixels) {
      if (imageShape && imageShape.join() !== row.pixels.shape.join()) throw new Error(`padBatch: images of shapes ${imageShape.join('×')} and ${row.pixels.shape.join('×')} in one batch`);
      imageShape = row.pixels.shape;
      imageRows.push(r);
    }
  });
  let pixels: Float32Array | undefined;
  if (imageShape) {
    const per = imageShape[0] * imageShape[1] * imageShape[2];
    pixels = new Float32Array(imageRows.length * per);
    imageRows.forEach((r, k) => pixels!.set(rows[r]!.pixels!.data, k * per));
  }
  const modality = rows.map((r) => r.modality);
  counts['batches']!++;
  counts['samples']! += n;
  counts['paddedPositions']! += n * seqLen - rows.reduce((s, r) => s + r.ids.length, 0);
  const kinds = new Set(modality);
  counts[kinds.size > 1 ? 'mixedBatches' : kinds.has('image') ? 'imageBatches' : 'textBatches']!++;
  return {
    ids, labels, attentionMask, batchSize: n, seqLen, modality, imageRows: Int32Array.from(imageRows),
    provenance: rows.map((r) => r.provenance),
    ...(pixels ? { pixels, imageShape: imageShape! } : {}),
  };
}

function checkLocal(resume: Json | undefined): PadBatchLocal | undefined {
  if (resume === undefined || resume === null) return undefined;
  const local = resume as unknown as PadBatchLocal;
  if (typeof resume !== 'object' || Array.isArray(resume) || !Number.isInteger(local.emitted) || local.emitted < 0) {
    throw new Error(`padBatch: resume state must be {emitted}, got ${JSON.stringify(resume)}`);
  }
  return local;
}

