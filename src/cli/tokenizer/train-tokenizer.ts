/** Train LibMoE's byte-level BPE on a sample of the data files and write tokenizer.json (`pipeline tokenizer train`). */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { trainTokenizerFromFiles } from '../../tokenizer/train-from-files.js';
import { writeFileAtomic } from '../../sinks/atomic-file.js';

export interface TokenizerTrainRequest {
  readonly files: readonly string[];
  readonly out: string;
  readonly vocabSize: number;
  readonly sampleDocs: number;
  readonly seed: number;
}

/** Streams the first `sampleDocs` documents (file order shuffled by `seed`), trains, writes `out` atomically. */
export async function trainTokenizer(req: TokenizerTrainRequest, log: (s: string) => void = () => undefined): Promise<void> {
  const t0 = Date.now();
  const trained = await trainTokenizerFromFiles({ files: req.files, vocabSize: req.vocabSize, sampleDocs: req.sampleDocs, seed: req.seed });
  await mkdir(dirname(req.out), { recursive: true });
  await writeFileAtomic(req.out, Buffer.from(trained.json));
  log(`${req.out}: ${req.vocabSize} pieces (${trained.merges} merges) from ${trained.sample.docs} documents, ${trained.sample.chars} characters, in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}
