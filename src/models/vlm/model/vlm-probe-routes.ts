/**
 * The probe pass of routing analysis for a vision-language model (docs/analysis.md, "VLM
 * runs"): fixed probe batches run through a checkpoint in evaluation mode, returning every
 * routed token's route in every MoE component (vision encoder layers, the projector, decoder
 * MoE blocks), what each token is (its probe row, its position or id, its modality), and the
 * log-probability of every answer token (for answer perplexity, intact or under DropTop).
 *
 * Each component routes its own tokens, so each has its own token space:
 * - vision: each image's tower tokens (CLIP's class token included) over every S² call, image
 *   by image: the full image's tokens, then each crop's; an image's position runs on over its
 *   crops, so a position names the same place in every image;
 * - projector: the P feature rows of each image;
 * - language_model: the real rows of the spliced sequence (padding dropped), text or image
 *   feature rows.
 * LibMoE's collator gives a text-only row a zero image (`textOnlyRows: zero-image`); those tower
 * inputs are not images of the probe and are left out of the vision and projector routes.
 *
 * Evaluation changes nothing: `training: false`, and every MoE layer's non-trainable state is
 * put back after each forward.
 */
import { tf, type Tensor, type Tensor1D } from '../../tf.js';
import { IGNORE_INDEX } from '../splice/constants.js';
import { featureBlocks, type VlmBatch } from './vlm-batch.js';
import type { VisionLanguageModel } from './vision-language-model.js';
import type { ProbeLayerRoutes } from '../../lm/probe-routes.js';

export type VlmComponent = 'vision' | 'projector' | 'language_model';

export interface VlmProbeOptions {
  /** Step passed to the routers (schedules): the checkpoint's step. */
  readonly step?: number;
  readonly totalSteps?: number;
  /** DropTop-n ablation in every MoE layer of every component (MoeCallContext.dropTop). */
  readonly dropTop?: number;
}

/**
 * One MoE layer's routes over its component's probe tokens, in probe order: the LM probe's
 * layer routes (structurally an analysis `Routes`) with the component they belong to.
 */
export interface VlmLayerRoutes extends Omit<ProbeLayerRoutes, 'hidden'> {
  readonly component: VlmComponent;
  /** Encoder layer (vision), 0 (projector), transformer block (language_model). */
  readonly layer: number;
}

/** Per token of a component: its probe row (the batch rows counted over all batches) and its position in the image or its token id. */
export interface VlmTokenSpace {
  readonly tokens: number;
  readonly row: Int32Array;
  /** vision / projector: position in the image; language_model: token id, −1 on image rows. */
  readonly id: Int32Array;
  /** language_model only: 1 on an image feature row, 0 on a text row. */
  readonly image?: Uint8Array;
}

export interface VlmProbeResult {
  /** Probe rows (batch rows over all batches). */
  readonly rows: number;
  readonly spaces: Readonly<Record<VlmComponent, VlmTokenSpace>>;
  /** Per language_model token: log p(its next label) where that label is an answer token, else NaN. */
  readonly answerLogprob: Float32Array;
  readonly layers: readonly VlmLayerRoutes[];
}

interface Piece { readonly selected: Int32Array; readonly gates: Tensor; readonly k: number; readonly experts: number; readonly keep: Int32Array }

/** Grows a typed array list without knowing the total in advance. */
class Chunks<T extends Int32Array | Float32Array | Uint8Array> {
  readonly parts: T[] = [];
  length = 0;
  push(a: T): void { this.parts.push(a); this.length += a.length; }
  join(make: (n: number) => T): T { const out = make(this.length); let at = 0; for (const p of this.parts) { out.set(p as never, at); at += p.length; } return out; }
}

export async function probeVlmRoutes(model: VisionLanguageModel, batches: readonly VlmBatch[], opts: VlmProbeOptions = {}): Promise<VlmProbeResult> {
  const ctx = { training: false, step: opts.step ?? 0, totalSteps: opts.totalSteps ?? 1, ...(opts.dropTop ? { dropTop: opts.dropTop } : {}) };
  const space = { vision: newSpace(), projector: newSpace(), language_model: newSpace() };
  const lmImage = new Chunks<Uint8Array>();
  const answer = new Chunks<Float32Array>();
  const layers = new Map<string, { component: VlmComponent; layer: number; k: number; experts: number; selected: Chunks<Int32Array>; weights: Chunks<Float32Array> }>();
  let rowBase = 0;
  for (const batch of batches) {
    const saved = model.moeState();
    const kept: { lp?: Tensor1D; pieces: { component: VlmComponent; layer: number; piece: Piece }[]; lmRows?: Int32Array; lmIds?: Int32Array; lmImage?: Uint8Array; lmTargets?: Int32Array } = { pieces: [] };
    let vision: { row: Int32Array; id: Int32Array; keep: Int32Array } | undefined;
    let projector: { row: Int32Array; id: Int32Array; keep: Int32Array } | undefined;
    try {
      tf.tidy(() => {
        const fwd = model.forward(batch, ctx);
        const inputs = towerInputs(model, batch);
        const calls = fwd.tower?.calls ?? [];
        if (calls.length) vision = visionTokens(calls.map((c) => c.embeddings.shape[0]), inputs, rowBase);
        calls.forEach((call) => call.moe.forEach((out, layer) => {
          // Every call's routes of one layer, in call order: the vision token space's order.
          kept.pieces.push({ component: 'vision', layer, piece: { selected: out.selected, gates: tf.keep(out.gates), k: out.k, experts: out.stats.tokenSlots.shape[0], keep: vision!.keep } });
        }));
        if (fwd.projector) {
          const p = fwd.projector;
          const [n, rowsPer] = p.y.shape;
          projector = imageTokens(n, rowsPer, inputs, rowBase);
          kept.pieces.push({ component: 'projector', layer: 0, piece: { selected: p.selected, gates: tf.keep(p.gates), k: p.k, experts: p.stats.tokenSlots.shape[0], keep: projector.keep } });
        }
        const plan = fwd.plan;
        const lm = decoderTokens(plan, rowBase);
        Object.assign(kept, { lmRows: lm.row, lmIds: lm.id, lmImage: lm.image, lmTargets: lm.target });
        for (const { layer, out } of fwd.languageModel) {
          kept.pieces.push({ component: 'language_model', layer, piece: { selected: out.selected, gates: tf.keep(out.gates), k: out.k, experts: out.stats.tokenSlots.shape[0], keep: lm.keep } });
        }
        const V = fwd.logits.shape[1];
        const gatherAt = Int32Array.from(lm.keep, (r, i) => r * V + Math.max(0, lm.target[i]!));
        kept.lp = tf.keep(tf.gather(tf.reshape(tf.logSoftmax(fwd.logits), [-1]), tf.tensor1d(gatherAt, 'int32')) as Tensor1D);
      });
    } finally {
      model.setMoeState(saved);
    }
    const [lp, ...gates] = await Promise.all([kept.lp!.data() as Promise<Float32Array>, ...kept.pieces.map((x) => x.piece.gates.data() as Promise<Float32Array>)]);
    tf.dispose([kept.lp!, ...kept.pieces.map((x) => x.piece.gates)]);
    for (const [c, s] of [['vision', vision], ['projector', projector]] as const) {
      if (!s) continue;
      space[c].row.push(s.row);
      space[c].id.push(s.id);
    }
    space.language_model.row.push(kept.lmRows!);
    space.language_model.id.push(kept.lmIds!);
    lmImage.push(kept.lmImage!);
    answer.push(Float32Array.from(lp, (x, i) => (kept.lmTargets![i]! === IGNORE_INDEX ? NaN : x)));
    // Vision layers: one piece per S² call; the kept tokens are over all calls together.
    const byLayer = new Map<string, { component: VlmComponent; layer: number; pieces: { piece: Piece; gates: Float32Array }[] }>();
    kept.pieces.forEach((x, i) => {
      const key = `${x.component} ${x.layer}`;
      let g = byLayer.get(key);
      if (!g) byLayer.set(key, g = { component: x.component, layer: x.layer, pieces: [] });
      g.pieces.push({ piece: x.piece, gates: gates[i]! });
    });
    for (const [key, g] of byLayer) {
      const { k, experts } = g.pieces[0]!.piece;
      const selected = concat(g.pieces.map((p) => p.piece.selected), Int32Array);
      const weights = concat(g.pieces.map((p) => p.gates), Float32Array);
      const keep = g.pieces[0]!.piece.keep;
      let acc = layers.get(key);
      if (!acc) layers.set(key, acc = { component: g.component, layer: g.layer, k, experts, selected: new Chunks(), weights: new Chunks() });
      if (acc.k !== k || acc.experts !== experts) throw new Error(`probeVlmRoutes: ${key} changed shape between batches (k ${acc.k}→${k}, E ${acc.experts}→${experts})`);
      acc.selected.push(pickSlots(selected, keep, k, Int32Array));
      acc.weights.push(pickSlots(weights, keep, k, Float32Array));
    }
    rowBase += batch.batchSize;
  }
  const spaces = {
    vision: joinSpace(space.vision),
    projector: joinSpace(space.projector),
    language_model: { ...joinSpace(space.language_model), image: lmImage.join((n) => new Uint8Array(n)) },
  };
  const order: Record<VlmComponent, number> = { vision: 0, projector: 1, language_model: 2 };
  const out: VlmLayerRoutes[] = [...layers.values()].sort((a, b) => order[a.component] - order[b.component] || a.layer - b.layer).map((l) => {
    const selected = l.selected.join((n) => new Int32Array(n));
    return { component: l.component, layer: l.layer, tokens: selected.length / l.k, k: l.k, experts: l.experts, selected, weights: l.weights.join((n) => new Float32Array(n)) };
  });
  for (const l of out) {
    if (l.tokens !== spaces[l.component].tokens) throw new Error(`probeVlmRoutes: ${l.component} layer ${l.layer} routed ${l.tokens} tokens, the component has ${spaces[l.component].tokens}`);
  }
  return { rows: rowBase, spaces, answerLogprob: answer.join((n) => new Float32Array(n)), layers: out };
}

function newSpace(): { row: Chunks<Int32Array>; id: Chunks<Int32Array> } {
  return { row: new Chunks(), id: new Chunks() };
}

function joinSpace(s: { row: Chunks<Int32Array>; id: Chunks<Int32Array> }): VlmTokenSpace {
  return { tokens: s.row.length, row: s.row.join((n) => new Int32Array(n)), id: s.id.join((n) => new Int32Array(n)) };
}

function concat<T extends Int32Array | Float32Array>(parts: readonly T[], C: { new (n: number): T }): T {
  const out = new C(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p as never, at); at += p.length; }
  return out;
}

/** The k slots of each kept token. */
function pickSlots<T extends Int32Array | Float32Array>(a: T, keep: Int32Array, k: number, C: { new (n: number): T }): T {
  const out = new C(keep.length * k);
  keep.forEach((t, i) => out.set(a.subarray(t * k, (t + 1) * k) as never, i * k));
  return out;
}

/** Per tower input (block), the batch row of its image, or −1 for a zero image (a text-only row). */
function towerInputs(model: VisionLanguageModel, batch: VlmBatch): Int32Array {
  const images = batch.imageRows;
  const blocks = featureBlocks(batch);
  if (model.config.textOnlyRows === 'zero-image' && blocks.some((b) => b < 0)) return Int32Array.from(blocks, (b) => (b < 0 ? -1 : images[b]!));
  return Int32Array.from(images);
}

/** The projector's tokens: `n` inputs × `perInput` rows; kept where the input is an image. */
function imageTokens(n: number, perInput: number, inputs: Int32Array, rowBase: number): { row: Int32Array; id: Int32Array; keep: Int32Array } {
  const row: number[] = [];
  const id: number[] = [];
  const keep: number[] = [];
  for (let i = 0; i < n; i++) {
    if (inputs[i]! < 0) continue;
    for (let p = 0; p < perInput; p++) { row.push(rowBase + inputs[i]!); id.push(p); keep.push(i * perInput + p); }
  }
  return { row: Int32Array.from(row), id: Int32Array.from(id), keep: Int32Array.from(keep) };
}

/**
 * The tower's tokens over every call, image by image: call c has `rowsPerCall[c]` = its inputs ×
 * T rows, its inputs crop-major (crop j of every input, then crop j + 1: LibMoE's order), so
 * input q is tower input q mod B. Each image's tokens are gathered in call order (the full
 * image, then each crop), so an image's position runs over all of them and the order does not
 * depend on which other images share the batch.
 */
function visionTokens(rowsPerCall: readonly number[], inputs: Int32Array, rowBase: number): { row: Int32Array; id: Int32Array; keep: Int32Array } {
  const b = inputs.length;
  const T = rowsPerCall[0]! / b;
  const row: number[] = [];
  const id: number[] = [];
  const keep: number[] = [];
  for (let input = 0; input < b; input++) {
    if (inputs[input]! < 0) continue;
    let offset = 0;
    let position = 0;
    for (const n of rowsPerCall) {
      const crops = n / (b * T);
      for (let crop = 0; crop < crops; crop++) {
        const q = crop * b + input;
        for (let t = 0; t < T; t++) { row.push(rowBase + inputs[input]!); id.push(position++); keep.push(offset + q * T + t); }
      }
      offset += n;
    }
  }
  return { row: Int32Array.from(row), id: Int32Array.from(id), keep: Int32Array.from(keep) };
}

/** The spliced sequence's real rows: their batch row, token id (−1 on image rows), modality and next label. */
function decoderTokens(plan: ReturnType<VisionLanguageModel['forward']>['plan'], rowBase: number): { row: Int32Array; id: Int32Array; image: Uint8Array; target: Int32Array; keep: Int32Array } {
  const { batchSize: B, seqLen: L, rowSource, textIds, zeroRow } = plan;
  const row: number[] = [];
  const id: number[] = [];
  const image: number[] = [];
  const target: number[] = [];
  const keep: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < L; t++) {
      const i = b * L + t;
      if (plan.attentionMask ? plan.attentionMask[i] === 0 : rowSource[i] === zeroRow) continue;
      const src = rowSource[i]!;
      const isText = src < textIds.length;
      row.push(rowBase + b);
      id.push(isText ? textIds[src]! : -1);
      image.push(isText ? 0 : 1);
      target.push(plan.labels && t + 1 < L ? plan.labels[i + 1]! : IGNORE_INDEX);
      keep.push(i);
    }
  }
  return { row: Int32Array.from(row), id: Int32Array.from(id), image: Uint8Array.from(image), target: Int32Array.from(target), keep: Int32Array.from(keep) };
}
