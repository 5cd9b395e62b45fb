/**
 * Greedy generation for the VLM (lmms-eval's `do_sample=False`): the prompt (with its `<image>`
 * placeholder and the image's pixels) goes through the whole model, the last position's argmax
 * is appended, and the loop repeats until a stop id (`<|end|>`, EOS) or `maxNewTokens`. One
 * prompt at a time, full recompute each step (no KV cache): no padding is ever involved, so the
 * output cannot depend on how prompts were grouped, and it is deterministic (argmax ties → the
 * lowest id). The stop token is not part of the returned tokens.
 *
 * Eval-time routing (libmoe.md §6.3): the vision tower and the projector see only the image,
 * so their routing is read once, from the first forward: per MoE component, how often each
 * expert was among a token's top-k picks and its first pick.
 */
import { tf, type Tensor, type Tensor2D } from '../../tf.js';
import type { MoeOutput } from '../../moe/types.js';
import type { VisionLanguageModel } from './vision-language-model.js';
import type { VlmBatch } from './vlm-batch.js';
import { IMAGE_TOKEN_INDEX } from '../splice/constants.js';
import { withRoutingRead } from '../../moe/routing-reads.js';

export interface GenerateRequest {
  /** Prompt ids; at most one `IMAGE_TOKEN_INDEX` (−200). */
  readonly ids: Int32Array;
  /** The image's pixels [3, S, S] when the prompt has an `<image>`. */
  readonly pixels?: Float32Array;
  readonly maxNewTokens: number;
}

export interface GenerateOptions {
  /** Ids that end the answer (not included in it). */
  readonly stopIds: readonly number[];
  /** Also return the vision tower's and projector's routing on the image. */
  readonly routing?: boolean;
}

/** One MoE component's routing on one image (all S² calls of a tower layer together). */
export interface ComponentRouting {
  /** 'vision' (a tower encoder MoE layer) or 'projector'. */
  readonly component: 'vision' | 'projector';
  /** Index of the tower's MoE layer (0 for the projector). */
  readonly layer: number;
  readonly tokens: number;
  readonly k: number;
  /** Per router index: token-slots over all K picks. */
  readonly topkCounts: number[];
  /** Per router index: tokens whose first pick it is. */
  readonly top1Counts: number[];
}

export interface Generation {
  readonly tokens: number[];
  /** 'stop': a stop id came; 'length': maxNewTokens reached. */
  readonly finish: 'stop' | 'length';
  readonly routing: ComponentRouting[];
}

const GEN_CTX = { training: false, step: 0, totalSteps: 1 } as const;

/** Counts the picks of image `image` of `images` (the call's tokens are image-major). */
function countPicks(out: Pick<MoeOutput, 'selected' | 'k'>, experts: number, topk: number[], top1: number[], image = 0, images = 1): number {
  const { selected, k } = out;
  const tokens = selected.length / k / images;
  for (let t = image * tokens; t < (image + 1) * tokens; t++) {
    for (let j = 0; j < k; j++) {
      const e = selected[t * k + j]!;
      while (topk.length <= e) { topk.push(0); top1.push(0); }
      topk[e]!++;
      if (j === 0) top1[e]!++;
    }
  }
  void experts;
  return tokens;
}

function routingOf(model: VisionLanguageModel, fwd: ReturnType<VisionLanguageModel['forward']>, image = 0, images = 1): ComponentRouting[] {
  const out: ComponentRouting[] = [];
  const layers = model.tower.moeLayers.length;
  for (let layer = 0; layer < layers; layer++) {
    const experts = model.tower.moeLayers[layer]!.spec.nExperts;
    const topk = new Array<number>(experts).fill(0);
    const top1 = new Array<number>(experts).fill(0);
    let tokens = 0;
    let k = 0;
    for (const call of fwd.tower?.calls ?? []) {
      const o = call.moe[layer];
      if (!o) continue;
      tokens += countPicks(o, experts, topk, top1, image, images);
      k = o.k;
    }
    out.push({ component: 'vision', layer, tokens, k, topkCounts: topk, top1Counts: top1 });
  }
  const p = fwd.projector;
  const pl = model.projector.moeLayer;
  if (p && pl) {
    const experts = pl.spec.nExperts;
    const topk = new Array<number>(experts).fill(0);
    const top1 = new Array<number>(experts).fill(0);
    const tokens = countPicks(p, experts, topk, top1, image, images);
    out.push({ component: 'projector', layer: 0, tokens, k: p.k, topkCounts: topk, top1Counts: top1 });
  }
  return out;
}

function argmaxRow(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

/**
 * One decoding forward and the logit rows `pick` takes from it, read asynchronously (with the
 * routing read first where the backend cannot read synchronously: moe/routing-reads.ts).
 */
async function readRows(model: VisionLanguageModel, batch: VlmBatch, pick: (fwd: ReturnType<VisionLanguageModel['forward']>) => Tensor): Promise<Float32Array> {
  const t = await withRoutingRead(() => model.forward(batch, GEN_CTX), () => tf.tidy(() => pick(model.forward(batch, GEN_CTX))));
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}

/** Greedy decoding of one prompt. */
export async function greedyGenerate(model: VisionLanguageModel, req: GenerateRequest, opts: GenerateOptions): Promise<Generation> {
  if (!Number.isInteger(req.maxNewTokens) || req.maxNewTokens < 0) throw new Error(`greedyGenerate: maxNewTokens must be a non-negative integer, got ${req.maxNewTokens}`);
  const images = req.ids.reduce((n, x) => n + (x === IMAGE_TOKEN_INDEX ? 1 : 0), 0);
  if (images > 1) throw new Error(`greedyGenerate: the prompt has ${images} <image> tokens, at most 1 is supported`);
  if (images === 1 && !req.pixels) throw new Error('greedyGenerate: the prompt has an <image> token but no pixels were given');
  const stops = new Set(opts.stopIds);
  const ids = Array.from(req.ids);
  const tokens: number[] = [];
  let routing: ComponentRouting[] = [];
  for (let step = 0; step < req.maxNewTokens; step++) {
    const batch: VlmBatch = {
      batchSize: 1, seqLen: ids.length,
      ids: Int32Array.from(ids),
      labels: new Int32Array(ids.length).fill(-100),
      attentionMask: new Uint8Array(ids.length).fill(1),
      ...(images === 1 ? { pixels: req.pixels!, imageRows: Int32Array.of(0) } : { imageRows: new Int32Array(0) }),
    };
    const row = await readRows(model, batch, (fwd) => {
      if (step === 0 && opts.routing && images === 1) routing = routingOf(model, fwd);
      const n = fwd.plan.seqLen;
      return tf.slice(fwd.logits as Tensor2D, [n - 1, 0], [1, -1]);
    });
    const next = argmaxRow(row);
    if (stops.has(next)) return { tokens, finish: 'stop', routing };
    tokens.push(next);
    ids.push(next);
  }
  if (opts.routing && req.maxNewTokens === 0) throw new Error('greedyGenerate: routing needs at least one forward (maxNewTokens ≥ 1)');
  return { tokens, finish: 'length', routing };
}

/**
 * Greedy decoding of several prompts together, right-padded (LLaVA's collator side): each step
 * runs the unfinished prompts as one batch and reads each row's logits at its last real
 * position. Causal attention keeps a row's real positions blind to its padding, so each answer
 * is the one `greedyGenerate` gives alone (tested); rows leave the batch as they finish.
 */
export async function greedyGenerateBatch(model: VisionLanguageModel, reqs: readonly GenerateRequest[], opts: GenerateOptions): Promise<Generation[]> {
  const stops = new Set(opts.stopIds);
  const seqs = reqs.map((r) => {
    const images = r.ids.reduce((n, x) => n + (x === IMAGE_TOKEN_INDEX ? 1 : 0), 0);
    if (images > 1) throw new Error(`greedyGenerateBatch: a prompt has ${images} <image> tokens, at most 1 is supported`);
    if (images === 1 && !r.pixels) throw new Error('greedyGenerateBatch: a prompt has an <image> token but no pixels were given');
    if (!Number.isInteger(r.maxNewTokens) || r.maxNewTokens < 0) throw new Error(`greedyGenerateBatch: maxNewTokens must be a non-negative integer, got ${r.maxNewTokens}`);
    return { ids: Array.from(r.ids), image: images === 1, tokens: [] as number[], finish: undefined as 'stop' | 'length' | undefined, routing: [] as ComponentRouting[] };
  });
  for (const s of seqs) if (s.tokens.length >= reqs[seqs.indexOf(s)]!.maxNewTokens) s.finish = 'length';
  for (let step = 0; ; step++) {
    const active = seqs.map((s, i) => i).filter((i) => seqs[i]!.finish === undefined);
    if (active.length === 0) break;
    const len = Math.max(...active.map((i) => seqs[i]!.ids.length));
    const b = active.length;
    const ids = new Int32Array(b * len);
    const mask = new Uint8Array(b * len);
    const withImage = active.filter((i) => seqs[i]!.image);
    active.forEach((i, r) => {
      ids.set(seqs[i]!.ids, r * len);
      mask.fill(1, r * len, r * len + seqs[i]!.ids.length);
    });
    const pixelRows = withImage.map((i) => reqs[i]!.pixels!);
    const size = pixelRows[0]?.length ?? 0;
    const pixels = new Float32Array(pixelRows.length * size);
    pixelRows.forEach((p, j) => pixels.set(p, j * size));
    const batch: VlmBatch = {
      batchSize: b, seqLen: len, ids, labels: new Int32Array(b * len).fill(-100), attentionMask: mask,
      imageRows: Int32Array.from(withImage.map((i) => active.indexOf(i))),
      ...(withImage.length ? { pixels } : {}),
    };
    const rows = await readRows(model, batch, (fwd) => {
      if (step === 0 && opts.routing) withImage.forEach((i, j) => { seqs[i]!.routing = routingOf(model, fwd, j, withImage.length); });
      const lp = fwd.plan.seqLen;
      const pm = fwd.plan.attentionMask;
      const last = active.map((_, r) => {
        let n = 0;
        for (let t = 0; t < lp; t++) n += pm ? pm[r * lp + t]! : 1;
        return r * lp + n - 1;
      });
      return tf.gather(fwd.logits as Tensor2D, tf.tensor1d(last, 'int32'));
    });
    const v = rows.length / b;
    active.forEach((i, r) => {
      const s = seqs[i]!;
      const next = argmaxRow(rows.subarray(r * v, (r + 1) * v));
      if (stops.has(next)) { s.finish = 'stop'; return; }
      s.tokens.push(next);
      s.ids.push(next);
      if (s.tokens.length >= reqs[i]!.maxNewTokens) s.finish = 'length';
    });
  }
  return seqs.map((s) => ({ tokens: s.tokens, finish: s.finish!, routing: s.routing }));
}
