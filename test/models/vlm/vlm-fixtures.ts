/**
 * A tiny VLM and a fixed synthetic image-text batch (the data plane's ImageTextBatch shape):
 * each image is one of two patterns, and the answer token after it says which, so the model
 * can only lower its loss on the answer by looking.
 */
import type { LmConfig } from '../../../src/models/lm/config.js';
import type { VlmBatch } from '../../../src/models/vlm/model/vlm-batch.js';
import type { VlmConfig } from '../../../src/models/vlm/model/vlm-config.js';
import { IGNORE_INDEX, IMAGE_TOKEN_INDEX } from '../../../src/models/vlm/splice/constants.js';

export const TINY_LM: LmConfig = { vocabSize: 12, dModel: 16, nLayers: 1, nHeads: 2, headDim: 8, ffn: { kind: 'dense', hidden: 32 }, seed: 3 };

export const TINY_VLM: VlmConfig = {
  tower: {
    arch: 'clip', imageSize: 8, patchSize: 4, hidden: 8, intermediate: 16, layers: 2, heads: 2,
    activation: 'quick_gelu', layerNormEps: 1e-5, scales: [1],
  },
  projector: { kind: 'mlp2x_gelu' },
  languageModel: TINY_LM,
  seed: 5,
  maxLength: null,
};

/** Patches per image of TINY_VLM (8/4)²: the rows an <image> becomes. */
export const TINY_P = 4;

/** Deterministic pixels of class `cls` (0 or 1), [3, S, S]. */
function image(cls: number, s: number, variant: number): Float32Array {
  const out = new Float32Array(3 * s * s);
  for (let i = 0; i < out.length; i++) {
    const y = Math.floor((i % (s * s)) / s);
    out[i] = (cls === 0 ? (y < s / 2 ? 1 : -1) : (y < s / 2 ? -1 : 1)) + 0.1 * Math.sin(i * 0.7 + variant);
  }
  return out;
}

/**
 * Rows: `BOS <image> Q A EOS` (image rows; A = 8 + class) and, with `textRow`, a text-only row
 * `BOS 3 4 5 EOS pad`. Labels supervise A and EOS only (the prompt is −100, as LLaVA's).
 */
export function tinyBatch(opts: { classes?: readonly number[]; textRow?: boolean; variant?: number } = {}): VlmBatch {
  const classes = opts.classes ?? [0, 1, 1, 0];
  const s = TINY_VLM.tower.imageSize;
  const l = 6;
  const rows: number[][] = classes.map((c) => [1, IMAGE_TOKEN_INDEX, 2, 8 + c, 11, 0]);
  const labels: number[][] = classes.map((c) => [IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX, 8 + c, 11, IGNORE_INDEX]);
  const mask: number[][] = classes.map(() => [1, 1, 1, 1, 1, 0]);
  if (opts.textRow) {
    rows.push([1, 3, 4, 5, 6, 11]);
    labels.push([IGNORE_INDEX, 3, 4, 5, 6, 11]);
    mask.push([1, 1, 1, 1, 1, 1]);
  }
  const pixels = new Float32Array(classes.length * 3 * s * s);
  classes.forEach((c, i) => pixels.set(image(c, s, i + (opts.variant ?? 0)), i * 3 * s * s));
  return {
    batchSize: rows.length, seqLen: l,
    ids: Int32Array.from(rows.flat()), labels: Int32Array.from(labels.flat()), attentionMask: Uint8Array.from(mask.flat()),
    pixels, imageRows: Int32Array.from(classes.map((_, i) => i)),
  };
}

/** A batch of text rows only (no pixels). */
export function textOnlyBatch(): VlmBatch {
  return {
    batchSize: 2, seqLen: 4,
    ids: Int32Array.from([1, 3, 4, 11, 1, 5, 6, 11]), labels: Int32Array.from([IGNORE_INDEX, 3, 4, 11, IGNORE_INDEX, 5, 6, 11]),
    attentionMask: Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1]), imageRows: new Int32Array(0),
  };
}
