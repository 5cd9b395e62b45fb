import type { ImageTensor } from '../image/preprocess.js';

/** What `padBatch` takes: token ids with labels, a modality, and for image samples their pixels. */
export interface PaddableSample {
  readonly ids: Int32Array;
  readonly labels: Int32Array;
  readonly modality: 'image' | 'text';
  readonly pixels?: ImageTensor;
  readonly provenance: unknown;
}

/**
 * A padded batch of image-text (and text) samples, LLaVA's collator output: rows padded on the
 * right to the longest, with the pad id, labels `IGNORE_INDEX` and attention mask 0 there.
 */
export interface ImageTextBatch {
  /** [batchSize, seqLen] row-major; image rows hold one `IMAGE_TOKEN_INDEX`. */
  readonly ids: Int32Array;
  /** [batchSize, seqLen]: the target id at each position, or `IGNORE_INDEX`. */
  readonly labels: Int32Array;
  /** [batchSize, seqLen]: 1 for a real token, 0 for padding. */
  readonly attentionMask: Uint8Array;
  readonly batchSize: number;
  /** Length of the longest row. */
  readonly seqLen: number;
  /** Per row. */
  readonly modality: readonly ('image' | 'text')[];
  /** The image rows' pixels stacked: [imageRows.length, ...imageShape]; absent when no row has an image. */
  readonly pixels?: Float32Array;
  readonly imageShape?: readonly [number, number, number];
  /** Row index of each stacked image. */
  readonly imageRows: Int32Array;
  /** Per row: where the sample came from. */
  readonly provenance: readonly unknown[];
}
