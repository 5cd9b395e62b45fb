/** The tokenizer `pipeline inspect` uses: loaded from --tokenizer, or trained on the input (--train-tokenizer). */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Json } from '../../base/json.js';
import { bestEncoder, tokenizersEncoder } from '../../tokenizer/batch-encoder.js';
import { loadTokenizer, separatorId, vocabSize } from '../../tokenizer/tokenizer.js';
import { trainTokenizerFromFiles } from '../../tokenizer/train-from-files.js';
import type { InspectOptions } from './options.js';

export interface TokenizerSetup {
  encoder: ReturnType<typeof bestEncoder>;
  separatorId: number;
  /** Reported as the `tokenizer` field. */
  describe: { [key: string]: Json };
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Undefined when neither --tokenizer nor --train-tokenizer was given. */
export async function prepareTokenizer(opts: InspectOptions): Promise<TokenizerSetup | undefined> {
  if (opts.tokenizer !== undefined) {
    const tokenizer = loadTokenizer(opts.tokenizer);
    const encoder = bestEncoder(readFileSync(opts.tokenizer, 'utf8'), { workers: opts.workers });
    const sep = separatorId(tokenizer);
    return {
      encoder,
      separatorId: sep,
      describe: { path: opts.tokenizer, trained: false, vocabSize: vocabSize(tokenizer), separator: tokenizer.idToToken(sep), separatorId: sep, encoder: encoder.kind },
    };
  }
  if (opts.trainVocab === undefined) return undefined;
  const t0 = process.hrtime.bigint();
  const trained = await trainTokenizerFromFiles({ files: opts.files, onError: opts.onError, vocabSize: opts.trainVocab });
  const trainSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (opts.saveTokenizer !== undefined) writeFileSync(opts.saveTokenizer, trained.json);
  const encoder = opts.workers >= 0 ? bestEncoder(trained.json, { workers: opts.workers }) : tokenizersEncoder(trained.tokenizer);
  const sep = separatorId(trained.tokenizer);
  return {
    encoder,
    separatorId: sep,
    describe: {
      path: opts.saveTokenizer ?? null, trained: true, vocabSize: vocabSize(trained.tokenizer), separator: trained.tokenizer.idToToken(sep),
      separatorId: sep, encoder: encoder.kind, trainSeconds: round(trainSeconds, 2), sampleDocs: trained.sample.docs, sampleChars: trained.sample.chars,
    },
  };
}
