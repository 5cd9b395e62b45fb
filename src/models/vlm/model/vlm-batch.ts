import { IMAGE_TOKEN_INDEX } from '../splice/constants.js';

/**
 * A collated image-text batch as the VLM reads it: the data plane's `ImageTextBatch`
 * (src/ops/items/image-text-batch.ts) has these fields under the same names, so it is one
 * (src/models restates the shape instead of importing the data plane, ARCHITECTURE.md §6).
 */
export interface VlmBatch {
  readonly batchSize: number;
  readonly seqLen: number;
  /** [B, L] row-major; each `<image>` is one `IMAGE_TOKEN_INDEX` (−200). */
  readonly ids: Int32Array;
  /** [B, L]: the id each position should be (the loss shifts them), or `IGNORE_INDEX` (−100). */
  readonly labels: Int32Array;
  /** [B, L]: 1 real token, 0 right padding. */
  readonly attentionMask: Uint8Array;
  /** The images, [N_img, 3, S, S] row-major, in the order their `<image>` tokens appear; absent without images. */
  readonly pixels?: Float32Array;
  /** [3, S, S] of each image when the collator states it (checked against the tower's S). */
  readonly imageShape?: readonly [number, number, number];
  /** Row of each image (ImageTextBatch.imageRows); checked against the `<image>` tokens. */
  readonly imageRows: Int32Array;
}

/**
 * The feature blocks the splice consumes, in order (LLaVA's collator): the next image for each
 * `<image>` token, and for a row without one a block it consumes without inserting (LibMoE runs
 * the tower on a zero image there; here it is a zero block, the rows are never used).
 * Returns, per block, the image index or −1 for a zero block.
 */
export function featureBlocks(batch: VlmBatch): Int32Array {
  const { batchSize: b, seqLen: l, ids } = batch;
  const blocks: number[] = [];
  let image = 0;
  for (let r = 0; r < b; r++) {
    let inRow = 0;
    for (let t = 0; t < l; t++) {
      if (ids[r * l + t] !== IMAGE_TOKEN_INDEX || batch.attentionMask[r * l + t] === 0) continue;
      if (batch.imageRows[image] !== r) throw new Error(`VLM batch: <image> token ${image} is in row ${r}, imageRows says ${batch.imageRows[image]}`);
      blocks.push(image++);
      inRow++;
    }
    if (inRow === 0) blocks.push(-1);
  }
  if (image !== batch.imageRows.length) throw new Error(`VLM batch: ${image} <image> tokens for ${batch.imageRows.length} images`);
  return Int32Array.from(blocks);
}
