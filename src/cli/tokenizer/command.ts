/**
 * `pipeline tokenizer train`: a verb with a sub-verb. The yargs module loads nothing heavy;
 * `tokenizers` comes in with `train-tokenizer.ts` when the verb runs.
 */
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { EXIT, EXIT_CODES_HELP } from '../shared/errors.js';
import { integerAtLeast, single, stringList } from '../shared/options.js';
import { processIo, runVerb, verbHandler, type Io } from '../shared/verb.js';

const USAGE = `Usage: pipeline tokenizer train --files GLOB [--files GLOB]... --out tokenizer.json [options]

Train LibMoE's tokenizer (byte-level BPE, digits split, <STORY_SEP> separator) on a sample of
documents streamed from SlimPajama-format files and save it as a HuggingFace tokenizer.json
(usable as data.tokenizer.path in a pipeline).`;

function trainBuilder(y: Argv) {
  return y
    .usage(USAGE)
    .option('files', { type: 'string', requiresArg: true, demandOption: true, coerce: stringList, describe: 'input files (.jsonl, .jsonl.zst, .jsonl.gz, directories, globs); repeatable' })
    .option('out', { type: 'string', requiresArg: true, demandOption: true, coerce: single('out'), describe: 'where to write tokenizer.json' })
    .option('vocab-size', { type: 'string', requiresArg: true, default: 8000, coerce: integerAtLeast('vocab-size', 1), describe: 'vocabulary size (LibMoE\'s: 8000)' })
    .option('sample-docs', { type: 'string', requiresArg: true, default: 2000, coerce: integerAtLeast('sample-docs', 1), describe: 'documents to sample' })
    .option('seed', { type: 'string', requiresArg: true, default: 1234, coerce: integerAtLeast('seed', 0), describe: 'sampling seed' })
    .epilog(EXIT_CODES_HELP);
}

type TrainArgs = ArgumentsCamelCase<ReturnType<typeof trainBuilder> extends Argv<infer A> ? A : never>;

export async function train(args: TrainArgs, io: Io): Promise<number> {
  const { trainTokenizer } = await import('./train-tokenizer.js');
  await trainTokenizer({ files: args.files, out: args.out, vocabSize: args.vocabSize, sampleDocs: args.sampleDocs, seed: args.seed }, io.err);
  return EXIT.ok;
}

export const command = 'tokenizer';
export const describe = 'train a tokenizer on a sample of data files (tokenizer train ...)';

export function builder(y: Argv) {
  return y
    .usage(USAGE)
    .command('train', 'train LibMoE\'s BPE tokenizer', trainBuilder, verbHandler<TrainArgs>('tokenizer', train))
    .demandCommand(1, 'expected a sub-command: train')
    .epilog(EXIT_CODES_HELP);
}

/** The parent verb only routes to its sub-verbs (yargs calls a handler only when no sub-verb matched, and demandCommand refuses that). */
export const handler = (): void => undefined;

/** `pipeline tokenizer ...` with injectable output (tests). */
export function tokenizerCommand(argv: readonly string[], io: Io = processIo): Promise<number> {
  return runVerb({ command, describe, builder }, 'tokenizer', argv, io, async () => EXIT.ok);
}
