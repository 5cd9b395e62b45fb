import { IGNORE_INDEX, IMAGE_TOKEN_INDEX } from './constants.js';

/**
 * A collated LLaVA batch as the splice reads it: [B, L] row-major, padded by the collator. The
 * data plane's `ImageTextBatch` (src/ops/items/image-text-batch.ts) has these fields under the
 * same names: `{ ...batch, withPositionIds: false }` is one, as in LLaVA training.
 */
export interface SpliceInput {
  readonly batchSize: number;
  readonly seqLen: number;
  /** Token ids with `IMAGE_TOKEN_INDEX` for each `<image>`. */
  readonly ids: ArrayLike<number>;
  /** Target ids or `IGNORE_INDEX`; null → no labels come out either (LibMoE's `labels=None`). */
  readonly labels: ArrayLike<number> | null;
  /** 1 real token, 0 padding; null → every position is real and no mask comes out. */
  readonly attentionMask: ArrayLike<number> | null;
  /** Whether the caller passes position ids: LibMoE returns them only then (LLaVA training does not). */
  readonly withPositionIds: boolean;
}

export interface SpliceOptions {
  /** P: feature rows per image (the projector's output length). */
  readonly imageTokens: number;
  /** How many feature blocks the batch has: one per `<image>` in order, plus one per text-only sample. */
  readonly images: number;
  /** `tokenizer_model_max_length`: each sequence is cut to it after the splice; null → no cut. */
  readonly maxLength: number | null;
  /** Where the re-padding goes. */
  readonly paddingSide: 'right' | 'left';
}

/**
 * Where each row of the spliced [B, L', D] embeddings comes from, decided on the host from
 * integers only; the tensors are then one gather (splice.ts). Row sources are indices into
 * the stacked table [text rows (`textIds` embedded) ; image feature rows (block i, row p at
 * `textIds.length + i·P + p`) ; one zero row (padding)].
 */
export interface SplicePlan {
  readonly batchSize: number;
  /** L': the longest spliced (and truncated) sequence. */
  readonly seqLen: number;
  /** The non-image ids of every sample without padding, in order. */
  readonly textIds: Int32Array;
  /** [B·L'] the table row of each output row. */
  readonly rowSource: Int32Array;
  /** The table row that is zeros. */
  readonly zeroRow: number;
  /** [B, L'] spliced labels (image rows and padding `IGNORE_INDEX`), or null without input labels. */
  readonly labels: Int32Array | null;
  /** [B, L'] 1 real, 0 padding, or null without an input mask. */
  readonly attentionMask: Int32Array | null;
  /** [B, L'] 0..len−1 per sample, 0 on padding, or null when none were passed. */
  readonly positionIds: Int32Array | null;
}

/** A spliced row: the i-th text row, or row `row` of feature block `image`. */
type Source = { readonly text: number } | { readonly image: number; readonly row: number };

/**
 * LibMoE's `prepare_inputs_labels_for_multimodal` (llava_arch.py) on the host:
 * 1. padding is dropped by the mask;
 * 2. each `IMAGE_TOKEN_INDEX` becomes the next feature block's P rows, labelled `IGNORE_INDEX`;
 *    a sample without one consumes a block and inserts nothing (the collator's zero image,
 *    `cur_image_features[0:0]`);
 * 3. each sequence is cut to `maxLength`;
 * 4. all are re-padded to the longest on `paddingSide` (zero rows, `IGNORE_INDEX`, mask 0);
 * 5. position ids count 0..len−1 over the real rows.
 */
export function planSplice(input: SpliceInput, opts: SpliceOptions): SplicePlan {
  const { batchSize: b, seqLen: l, ids } = input;
  const p = opts.imageTokens;
  // Per sample, before padding: the source of each spliced row and its label. Feature rows
  // sit after all text rows in the table, so they are placed once the text count is known.
  const sources: Source[][] = [];
  const labels: number[][] = [];
  const textIds: number[] = [];
  let image = 0;
  for (let s = 0; s < b; s++) {
    const seq: Source[] = [];
    const lab: number[] = [];
    let hasImage = false;
    for (let t = 0; t < l; t++) {
      const at = s * l + t;
      if (input.attentionMask && input.attentionMask[at] === 0) continue;
      const label = input.labels ? input.labels[at]! : IGNORE_INDEX;
      if (ids[at] === IMAGE_TOKEN_INDEX) {
        hasImage = true;
        for (let r = 0; r < p; r++) { seq.push({ image, row: r }); lab.push(IGNORE_INDEX); }
        image++;
      } else {
        seq.push({ text: textIds.length });
        textIds.push(ids[at]!);
        lab.push(label);
      }
    }
    if (!hasImage) image++;
    const keep = opts.maxLength === null ? seq.length : Math.min(seq.length, opts.maxLength);
    sources.push(seq.slice(0, keep));
    labels.push(lab.slice(0, keep));
  }
  if (image !== opts.images) throw new Error(`splice: the batch consumes ${image} image feature blocks (one per <image>, one per text-only sample), ${opts.images} were given`);
  const nText = textIds.length;
  const rows = sources.map((seq) => seq.map((r) => ('text' in r ? r.text : nText + r.image * p + r.row)));
  const zeroRow = nText + opts.images * p;
  const out = Math.max(0, ...rows.map((r) => r.length));
  const rowSource = new Int32Array(b * out).fill(zeroRow);
  const outLabels = new Int32Array(b * out).fill(IGNORE_INDEX);
  const mask = new Int32Array(b * out);
  const pos = new Int32Array(b * out);
  rows.forEach((r, s) => {
    const start = s * out + (opts.paddingSide === 'left' ? out - r.length : 0);
    r.forEach((src, i) => {
      rowSource[start + i] = src;
      outLabels[start + i] = labels[s]![i]!;
      mask[start + i] = 1;
      pos[start + i] = i;
    });
  });
  return {
    batchSize: b, seqLen: out, textIds: Int32Array.from(textIds), rowSource, zeroRow,
    labels: input.labels ? outLabels : null,
    attentionMask: input.attentionMask ? mask : null,
    positionIds: input.withPositionIds ? pos : null,
  };
}
