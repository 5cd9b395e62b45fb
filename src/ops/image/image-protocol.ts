import type { ImageSkipReason } from './decode-image.js';
import type { Layout, ProcessorSpec } from './processor.js';

/** Everything a worker needs to preprocess one image (plain data: it crosses a thread). */
export interface ImageJob {
  readonly path: string;
  readonly spec: ProcessorSpec;
  readonly aspect: 'pad' | 'resize';
  readonly layout: Layout;
  readonly orientation: 'exif' | 'ignore';
}

export interface ImageRequest extends ImageJob {
  readonly id: number;
}

/** Output buffers the pool's thread no longer uses, given back (transferred) to the worker that made them. */
export interface RecycleMessage {
  readonly recycle: readonly ArrayBuffer[];
}

export type WorkerMessage = ImageRequest | RecycleMessage;

export type ImageReply =
  | { readonly id: number; readonly data: Float32Array; readonly shape: [number, number, number]; readonly reused: boolean }
  | { readonly id: number; readonly error: string; readonly reason?: ImageSkipReason };
