import { type Op, type Stage, opState } from '../streams/stage.js';
import type { TokenizedDoc } from './items/tokenized-doc.js';
import { closeUpstream, opStats } from './support/pulled.js';

/** A text document as a training sample beside image-text ones: every token is a target. */
export interface TextSample {
  readonly ids: Int32Array;
  /** A copy of `ids` (the model shifts, as for conversation samples). */
  readonly labels: Int32Array;
  readonly modality: 'text';
  readonly provenance: { readonly file: string; readonly line: number; readonly domain: string };
  readonly truncated: boolean;
}

export interface TextSamplesOptions {
  /** Documents are cut to this many tokens (LibMoE's `tokenizer_model_max_length`, 2048). */
  readonly maxLength: number;
}

/**
 * Tokenized documents (SlimPajama via `tokenize`) → samples that `padBatch` and `mix` can put
 * beside image-text samples. One document, one sample (no packing): what a weighted mix of text
 * and image-text data feeds a VLM. Its state is the upstream's (one in, one out).
 *
 * @example
 * const text = pipe(slimPajama({ files }), tokenize({ tokenizer }), textSamples({ maxLength: 2048 }));
 * const both = mix<PaddableSample>([{ flow: imageText, weight: 3 }, { flow: text, weight: 1 }], { seed: 1 });
 */
export function textSamples(options: TextSamplesOptions): Op<TokenizedDoc, TextSample> {
  const { maxLength } = options;
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new RangeError(`textSamples: maxLength must be a positive integer, got ${maxLength}`);
  return (upstream, resume) => {
    if (resume !== undefined && resume !== null) throw new Error(`textSamples: resume state must be null, got ${JSON.stringify(resume)}`);
    let samples = 0;
    let truncated = 0;
    const stage: Stage<TextSample> = {
      state: () => opState(null, upstream.state()),
      stats: () => opStats('textSamples', { samples, truncated }, upstream),
      close: closeUpstream(upstream),
      async *[Symbol.asyncIterator]() {
        for await (const doc of upstream) {
          const cut = doc.ids.length > maxLength;
          const ids = cut ? doc.ids.slice(0, maxLength) : doc.ids;
          samples++;
          if (cut) truncated++;
          yield { ids, labels: ids.slice(), modality: 'text', provenance: { ...doc.provenance, domain: doc.domain }, truncated: cut };
        }
      },
    };
    return stage;
  };
}
