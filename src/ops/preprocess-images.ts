import { type Op, type Stage, type StageState, opState } from '../streams/stage.js';
import { ImageError } from './image/decode-image.js';
import { ImagePool, PoolClosedError } from './image/image-pool.js';
import type { ImageJob } from './image/image-protocol.js';
import type { ImageTensor } from './image/preprocess.js';
import { type Layout, PROCESSORS, type ProcessorSpec } from './image/processor.js';
import type { ImageTextProvenance } from './items/image-text-record.js';
import { closeUpstream, opStats, pull } from './support/pulled.js';

/** What the image operator needs of an item: LLaVA records and conversation samples both fit. */
export interface WithImage {
  readonly modality: 'image' | 'text';
  readonly image?: string;
  readonly provenance: ImageTextProvenance;
}

export interface PreprocessImagesOptions {
  /** 'clip336' (CLIP ViT-L/14-336), 'siglip224' (SigLIP so400m-224) or a custom spec. */
  readonly processor: 'clip336' | 'siglip224' | ProcessorSpec;
  /** LLaVA's `image_aspect_ratio`: 'pad' (default) or 'resize'. */
  readonly aspect?: 'pad' | 'resize';
  /** 'chw' (default, `[3, H, W]`) or 'hwc'. */
  readonly layout?: Layout;
  /** Apply EXIF orientation ('exif', default) or not ('ignore': what LibMoE's PIL path does). */
  readonly orientation?: 'exif' | 'ignore';
  /** Worker threads (default 2; 0 = this thread). Ignored when `pool` is given. */
  readonly workers?: number;
  /** A pool to share between flows (the caller closes it). */
  readonly pool?: ImagePool;
  /**
   * Images being processed at once (default 4 × workers, at least 4): bounds read-ahead and
   * memory. Decoding runs on libuv's threads and resampling on the workers: 4 per worker kept
   * both busy at less CPU per image than 2 (measured, 2 shared cores).
   */
  readonly inFlight?: number;
  /** A missing, empty, truncated or undecodable image: 'fail' (default) or 'skip' (counted by reason). */
  readonly onError?: 'fail' | 'skip';
}

interface InFlight<T> {
  readonly item: T;
  readonly state: StageState;
  readonly tensor: Promise<ImageTensor> | undefined;
}

/**
 * Adds `pixels` (the processor's float32 tensor) to every image item; text-only items pass
 * through without. Decoding and preprocessing run in a bounded worker pool; items come out in
 * input order, and the result is the same whatever the number of workers. The state is the
 * upstream position of the last delivered (or skipped) item: images in flight at a checkpoint
 * are processed again after a resume.
 *
 * @example
 * const flow = pipe(llava({ files, imageRoot }), conversation({ tokenizer }), preprocessImages({ processor: 'siglip224', workers: 2 }));
 * // image samples: { ...sample, pixels: { data: Float32Array(3·224·224), shape: [3, 224, 224] } }
 */
export function preprocessImages<T extends WithImage>(options: PreprocessImagesOptions): Op<T, T & { readonly pixels?: ImageTensor }> {
  const spec = typeof options.processor === 'string' ? PROCESSORS[options.processor] : options.processor;
  if (spec === undefined) throw new Error(`preprocessImages: unknown processor '${String(options.processor)}' (known: ${Object.keys(PROCESSORS).join(', ')})`);
  const workers = options.workers ?? 2;
  const inFlight = options.inFlight ?? Math.max(4, 4 * (options.pool?.size ?? workers));
  if (!Number.isInteger(inFlight) || inFlight < 1) throw new RangeError(`preprocessImages: inFlight must be a positive integer, got ${inFlight}`);
  const onError = options.onError ?? 'fail';
  const job = (path: string): ImageJob => ({
    path, spec, aspect: options.aspect ?? 'pad', layout: options.layout ?? 'chw', orientation: options.orientation ?? 'exif',
  });

  return (upstream, resume) => {
    if (resume !== undefined && resume !== null) throw new Error(`preprocessImages: resume state must be null, got ${JSON.stringify(resume)}`);
    const ownPool = options.pool === undefined;
    let pool: ImagePool | undefined = options.pool;
    let delivered: StageState = upstream.state();
    // Set by close(): the iteration ends at its next step (a pending next() resolves done).
    let stopped = false;
    const counts = { read: 0, images: 0, textOnly: 0, skipped: 0, pixels: 0 };
    const skippedByReason: Record<string, number> = {};
    const release = async () => { if (ownPool) { await pool?.close(); pool = undefined; } };

    const stage: Stage<T & { readonly pixels?: ImageTensor }> = {
      state: () => opState(null, delivered),
      stats: () => opStats('preprocessImages', { processor: spec.name, ...counts, skippedByReason: { ...skippedByReason } }, upstream),
      close: async () => { stopped = true; await release(); await closeUpstream(upstream)(); },
      async *[Symbol.asyncIterator]() {
        if (stopped) return;
        const active = (pool ??= new ImagePool(workers));
        const iterator = upstream[Symbol.asyncIterator]();
        const queue: InFlight<T>[] = [];
        let ended = false;
        try {
          for (;;) {
            while (!ended && !stopped && queue.length < inFlight) {
              const next = await pull(iterator, upstream);
              if (next === undefined) { ended = true; break; }
              counts.read++;
              const item = next.value;
              const tensor = item.modality === 'image' && item.image !== undefined ? active.run(job(item.image)) : undefined;
              // A failure surfaces in order, when its turn comes, not as an unhandled rejection.
              tensor?.catch(() => undefined);
              queue.push({ item, state: next.state, tensor });
            }
            const head = queue.shift();
            if (head === undefined || stopped) return;
            if (head.tensor === undefined) {
              delivered = head.state;
              counts.textOnly++;
              yield head.item;
              continue;
            }
            let pixels: ImageTensor;
            try {
              pixels = await head.tensor;
            } catch (error) {
              if (stopped) return;
              // A shared pool closed under a running flow: an error, never a skipped image.
              if (error instanceof PoolClosedError) throw new Error('preprocessImages: the image pool was closed while images were in flight', { cause: error });
              const reason = error instanceof ImageError ? error.reason : 'undecodable_image';
              const p = head.item.provenance;
              const where = `${p.file}: record ${p.record}${p.id !== undefined ? ` (id ${p.id})` : ''}`;
              if (onError === 'fail') throw new Error(`preprocessImages: ${where}: ${(error as Error).message}`, { cause: error });
              counts.skipped++;
              skippedByReason[reason] = (skippedByReason[reason] ?? 0) + 1;
              delivered = head.state;
              continue;
            }
            if (stopped) return;
            delivered = head.state;
            counts.images++;
            counts.pixels += pixels.data.length / 3;
            yield { ...head.item, pixels };
          }
        } finally {
          if (!ended) await iterator.return?.();
          await release();
        }
      },
    };
    return stage;
  };
}
