import type { VlmBatch } from './vlm-batch.js';

/**
 * Gradient accumulation's micro-batches (HF `gradient_accumulation_steps`; LibMoE's SFT uses 2):
 * the rows cut into `n` contiguous runs as even as possible, each with its own images. Every
 * micro-batch keeps the collated length L (the splice re-pads each to its own longest row).
 */
export function splitVlmBatch(batch: VlmBatch, n: number): VlmBatch[] {
  if (!(Number.isInteger(n) && n >= 1 && n <= batch.batchSize)) throw new Error(`micro-batches must be an integer in [1, ${batch.batchSize}] (the batch's rows), got ${n}`);
  if (n === 1) return [batch];
  const l = batch.seqLen;
  const imageSize = batch.pixels && batch.imageRows.length > 0 ? batch.pixels.length / batch.imageRows.length : 0;
  const out: VlmBatch[] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const rows = Math.floor(batch.batchSize / n) + (i < batch.batchSize % n ? 1 : 0);
    const end = start + rows;
    // Images are stacked in row order, so a run of rows owns a run of images.
    const first = batch.imageRows.findIndex((r) => r >= start);
    const images = batch.imageRows.filter((r) => r >= start && r < end).length;
    const from = first < 0 ? 0 : first;
    out.push({
      batchSize: rows, seqLen: l,
      ids: batch.ids.slice(start * l, end * l),
      labels: batch.labels.slice(start * l, end * l),
      attentionMask: batch.attentionMask.slice(start * l, end * l),
      imageRows: Int32Array.from(batch.imageRows.subarray(from, from + images), (r) => r - start),
      ...(images > 0 && batch.pixels ? { pixels: batch.pixels.slice(from * imageSize, (from + images) * imageSize) } : {}),
    });
    start = end;
  }
  return out;
}
