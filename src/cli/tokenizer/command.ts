/** `pipeline tokenizer train`: train LibMoE's byte-level BPE on a sample of the data files and write tokenizer.json. */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { trainTokenizerFromFiles } from '../../tokenizer/train-from-files.js';
import { writeFileAtomic } from '../../sinks/atomic-file.js';
import { parseVerbArgs } from '../shared/args.js';
import { TOKENIZER_HELP } from '../shared/help.js';
import { EXIT, UsageError } from '../shared/errors.js';

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

function positiveInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name}: expected a positive integer, got "${v}"`, 'tokenizer');
  return n;
}

function nonNegativeInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name}: expected a non-negative integer, got "${v}"`, 'tokenizer');
  return n;
}

export async function tokenizerCommand(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') { out(`${TOKENIZER_HELP}\n`); return sub === undefined ? EXIT.usage : EXIT.ok; }
  if (sub !== 'train') throw new UsageError(`unknown tokenizer command "${sub}" (expected: train)`, 'tokenizer');
  const { values, positionals } = parseVerbArgs('tokenizer', rest, {
    files: { type: 'string', multiple: true },
    out: { type: 'string' },
    'vocab-size': { type: 'string' },
    'sample-docs': { type: 'string' },
    seed: { type: 'string' },
  });
  if (values.help) { out(`${TOKENIZER_HELP}\n`); return EXIT.ok; }
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}" (use --files)`, 'tokenizer');
  if (!values.files?.length) throw new UsageError('--files is required', 'tokenizer');
  if (!values.out) throw new UsageError('--out is required', 'tokenizer');
  await trainTokenizer({
    files: values.files, out: values.out,
    vocabSize: positiveInt('vocab-size', values['vocab-size'], 8000),
    sampleDocs: positiveInt('sample-docs', values['sample-docs'], 2000),
    seed: nonNegativeInt('seed', values.seed, 1234),
  }, err);
  return EXIT.ok;
}
