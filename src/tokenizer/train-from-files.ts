import { type OnError, slimPajama } from '../streams/index.js';
import { type TrainTokenizerOptions, type TrainedTokenizer, trainTokenizer } from './train-bpe.js';

export interface TrainFromFilesOptions extends TrainTokenizerOptions {
  /** SlimPajama-format files, directories, globs. */
  readonly files: string | readonly string[];
  /** Bad lines: stop with an error naming file and line (default), or skip them. */
  readonly onError?: OnError;
  /** File order of the sample: sorted when absent, else shuffled with this seed. */
  readonly seed?: number;
}

/** Trains LibMoE's tokenizer on the first documents of SlimPajama-format files (what a CLI verb needs). */
export function trainTokenizerFromFiles(options: TrainFromFilesOptions): Promise<TrainedTokenizer> {
  const { files, onError, seed, ...training } = options;
  return trainTokenizer(documentTexts(files, onError ?? 'fail', seed), training);
}

async function* documentTexts(files: string | readonly string[], onError: OnError, seed: number | undefined): AsyncGenerator<string> {
  const source = slimPajama({ files, onError, ...(seed === undefined ? { shuffleFiles: false } : { seed }) });
  for await (const record of source()) yield record.text;
}
