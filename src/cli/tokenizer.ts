/** `pipeline tokenizer train`: train a BPE/Unigram tokenizer from a stream sample of the data files. */
import { parseVerbArgs } from './args.js';
import { TOKENIZER_HELP } from './help.js';
import { EXIT, NotAvailableError, UsageError } from './errors.js';


export interface TokenizerTrainRequest {
  readonly files: readonly string[];
  readonly out: string;
  readonly vocabSize: number;
  readonly sampleDocs: number;
  readonly seed: number;
}

/**
 * INTEGRATION POINT: stream the first `sampleDocs` documents of `files` (slimPajama source,
 * seeded order) into `trainTokenizer(texts, { vocabSize })` of src/ops/tokenizer-train.ts
 * (data-ops branch) and write its `json` to `out`. Until that is merged this reports that it
 * is not available (exit code 3).
 */
export async function trainTokenizer(req: TokenizerTrainRequest): Promise<void> {
  throw new NotAvailableError(`tokenizer training is not wired into this build yet (src/cli/tokenizer.ts trainTokenizer; it lands with the tokenize operator). Request was: ${JSON.stringify(req)}`);
}

function positiveInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name}: expected a positive integer, got "${v}"`, 'tokenizer');
  return n;
}

export async function tokenizerCommand(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
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
    seed: positiveInt('seed', values.seed, 1234),
  });
  return EXIT.ok;
}
