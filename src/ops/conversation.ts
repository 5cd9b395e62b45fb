import { type Op, type Stage, type StageState, opState } from '../streams/stage.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { type ConversationSample, IGNORE_INDEX, IMAGE_TOKEN_INDEX } from './items/conversation-sample.js';
import type { ImageTextRecord } from './items/image-text-record.js';
import type { ConversationTemplate } from './support/conversation-template.js';
import { type EncodedChunk, chunksOf, joinChunks } from './support/image-token-ids.js';
import { phi35Template } from './support/phi35-template.js';
import { plainTemplate } from './support/plain-template.js';
import { closeUpstream, opStats, pull } from './support/pulled.js';

export interface ConversationOptions {
  /** Any tokenizer.json (LibMoE: Phi-3.5's). Texts are encoded as HuggingFace's `tokenizer(text)` does. */
  readonly tokenizer: Tokenizer;
  /** 'phi35' (LibMoE, every stage) or 'plain' (LLaVA projector pre-training). Default 'phi35'. */
  readonly template?: 'phi35' | 'plain' | ConversationTemplate;
  /**
   * Phi-3.5 label rule: 'libmoe' (default) is `preprocess_phi35`'s arithmetic exactly; 'turns'
   * masks by turn structure (see docs/operators.md, "Label masks": with Phi-3's tokenizer LibMoE's
   * rule masks every conversation of more than one round).
   */
  readonly labels?: 'libmoe' | 'turns';
  /** LibMoE's `tokenizer_model_max_length` (2048): samples are cut to it. */
  readonly modelMaxLength?: number;
  /**
   * Positions the image takes in the model (576 for CLIP-336/14, 256 for SigLIP-224/14; default 1):
   * an image sample is cut so that, with the image expanded, it fits `modelMaxLength`.
   */
  readonly imageTokens?: number;
  /** Records encoded per `encodeBatch` call (default 32). */
  readonly batchSize?: number;
  /** A record the template cannot take: 'fail' (default) or 'skip' (counted in stats by reason). */
  readonly onError?: 'fail' | 'skip';
}

interface Pending {
  readonly record: ImageTextRecord;
  readonly state: StageState;
  readonly texts: string[];
}

/**
 * LLaVA records → token ids with LibMoE's label mask (`preprocess_phi35` / `preprocess_plain`).
 * The image stays a single `IMAGE_TOKEN_INDEX` position that the model expands. Records are read
 * a batch at a time and encoded in one call; the state is the upstream position of the last
 * delivered sample, so a resumed flow re-reads and re-encodes what was in flight.
 *
 * @example
 * const samples = pipe(llava({ files, imageRoot }), conversation({ tokenizer: loadTokenizer('phi-3-mini/tokenizer.json') }));
 * // each: { ids: Int32Array [.., -200, ..], labels: Int32Array [-100, …, answer ids …], supervised, provenance }
 */
export function conversation(options: ConversationOptions): Op<ImageTextRecord, ConversationSample> {
  const template = typeof options.template === 'object' ? options.template
    : (options.template ?? 'phi35') === 'phi35' ? phi35Template(undefined, options.labels ?? 'libmoe') : plainTemplate();
  const modelMaxLength = options.modelMaxLength ?? 2048;
  const imageTokens = options.imageTokens ?? 1;
  const batchSize = options.batchSize ?? 32;
  const onError = options.onError ?? 'fail';
  for (const [name, value] of [['modelMaxLength', modelMaxLength], ['imageTokens', imageTokens], ['batchSize', batchSize]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`conversation: ${name} must be a positive integer, got ${value}`);
  }
  if (imageTokens > modelMaxLength) throw new RangeError(`conversation: imageTokens (${imageTokens}) exceeds modelMaxLength (${modelMaxLength})`);
  const { tokenizer } = options;

  return (upstream, resume) => {
    if (resume !== undefined && resume !== null) throw new Error(`conversation: resume state must be null, got ${JSON.stringify(resume)}`);
    let delivered: StageState = upstream.state();
    const counts = { samples: 0, tokens: 0, supervised: 0, truncated: 0, lengthMismatch: 0, skipped: 0 };
    const skippedByReason: Record<string, number> = {};

    const build = (record: ImageTextRecord, encoded: number[][]): ConversationSample => {
      const templated = template.assemble(record, encoded, modelMaxLength);
      const limit = record.modality === 'image' ? modelMaxLength - (imageTokens - 1) : modelMaxLength;
      const cut = templated.ids.length > limit;
      const ids = Int32Array.from(cut ? templated.ids.slice(0, limit) : templated.ids);
      const labels = Int32Array.from(cut ? templated.labels.slice(0, limit) : templated.labels);
      // The image position is never a target, whatever the mask arithmetic did.
      for (let p = 0; p < ids.length; p++) if (ids[p] === IMAGE_TOKEN_INDEX) labels[p] = IGNORE_INDEX;
      let supervised = 0;
      for (let p = 0; p < labels.length; p++) if (labels[p] !== IGNORE_INDEX) supervised++;
      counts.samples++;
      counts.tokens += ids.length;
      counts.supervised += supervised;
      const truncated = cut || templated.truncated;
      if (truncated) counts.truncated++;
      if (templated.mismatch) counts.lengthMismatch++;
      return {
        ids, labels, modality: record.modality, provenance: record.provenance, supervised,
        truncated,
        ...(record.image !== undefined ? { image: record.image } : {}),
        ...(templated.mismatch ? { masked: 'length_mismatch' as const } : {}),
      };
    };

    const encodeAll = async (batch: readonly Pending[]): Promise<number[][][]> => {
      const chunks = batch.flatMap((p) => p.texts.map(chunksOf));
      const flat = chunks.flat();
      const encodings = flat.length === 0 ? [] : await tokenizer.encodeBatch(flat, { addSpecialTokens: true });
      let at = 0;
      const perText = chunks.map((pieces) => joinChunks(pieces.map((): EncodedChunk => {
        const e = encodings[at++]!;
        return { ids: e.getIds(), specialMask: e.getSpecialTokensMask() };
      })));
      let t = 0;
      return batch.map((p) => p.texts.map(() => perText[t++]!));
    };

    const stage: Stage<ConversationSample> = {
      state: () => opState(null, delivered),
      stats: () => opStats('conversation', { template: template.name, ...counts, skippedByReason: { ...skippedByReason } }, upstream),
      close: closeUpstream(upstream),
      async *[Symbol.asyncIterator]() {
        const iterator = upstream[Symbol.asyncIterator]();
        let ended = false;
        try {
          while (!ended) {
            const batch: Pending[] = [];
            while (batch.length < batchSize) {
              const next = await pull(iterator, upstream);
              if (next === undefined) { ended = true; break; }
              const texts = template.texts(next.value);
              if (!Array.isArray(texts)) {
                const where = `${next.value.provenance.file}: record ${next.value.provenance.record}${next.value.provenance.id !== undefined ? ` (id ${next.value.provenance.id})` : ''}`;
                if (onError === 'fail') throw new Error(`conversation: ${where}: ${texts.reason}: ${texts.detail}`);
                counts.skipped++;
                skippedByReason[texts.reason] = (skippedByReason[texts.reason] ?? 0) + 1;
                // Nothing of it is delivered; a state taken now must still not return to it.
                if (batch.length === 0) delivered = next.state;
                else batch.push({ record: next.value, state: next.state, texts: [] });
                continue;
              }
              batch.push({ record: next.value, state: next.state, texts });
            }
            const encoded = await encodeAll(batch);
            for (let i = 0; i < batch.length; i++) {
              const pending = batch[i]!;
              delivered = pending.state;
              if (pending.texts.length === 0) continue; // a skipped record, kept for its place
              yield build(pending.record, encoded[i]!);
            }
          }
        } finally {
          if (!ended) await iterator.return?.();
        }
      },
    };
    return stage;
  };
}
