/**
 * `pipeline inspect FILES...`: stream SlimPajama-format files through source → tokenize → pack
 * and report what came through (per file and domain), what was skipped and why, and how fast.
 * Without a tokenizer it reports what needs no tokens (records, bytes, domains, skips, MB/s).
 * The yargs module loads nothing heavy; the flow and `tokenizers` come in when the verb runs.
 */
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { EXIT, EXIT_CODES_HELP, UsageError } from '../shared/errors.js';
import { integerAtLeast, single } from '../shared/options.js';
import { processIo, runVerb, verbHandler, type Io } from '../shared/verb.js';
import type { InspectOptions } from './options.js';

export const command = 'inspect [files..]';
export const describe = 'look at the records, text and tokens a data flow produces';

export function builder(y: Argv) {
  return y
    .usage(`Usage: pipeline inspect FILES... [options]

Stream SlimPajama-format files (.jsonl, .jsonl.zst, .jsonl.gz, directories, globs) and report
records per file and domain, skipped records per reason, characters, bytes and throughput.
With a tokenizer (--tokenizer or --train-tokenizer) the records also go through tokenize → pack
(LibMoE windows of seq-len + 1 tokens): tokens, packed windows and packing efficiency.
With --images DIR the files are LLaVA image-text records (.json arrays, .jsonl) whose image
paths are relative to DIR: records read/used/skipped per file and reason, images found and
missing, images/s and MB/s; with --tokenizer also tokens per sample and the supervised share.`)
    .positional('files', { type: 'string', array: true, describe: 'input files, directories or globs' })
    .option('tokenizer', { type: 'string', requiresArg: true, coerce: single('tokenizer'), describe: 'a HuggingFace tokenizer.json' })
    .option('train-tokenizer', { type: 'string', requiresArg: true, coerce: integerAtLeast('train-tokenizer', 257), describe: 'instead, train LibMoE\'s BPE (VOCAB pieces, digits split, <STORY_SEP>) on the input files first (not timed)' })
    .option('save-tokenizer', { type: 'string', requiresArg: true, coerce: single('save-tokenizer'), describe: 'with --train-tokenizer: write the trained tokenizer.json here' })
    .option('seq-len', { type: 'string', requiresArg: true, default: 1024, coerce: integerAtLeast('seq-len', 1), describe: 'window length without the extra target token' })
    .option('on-error', { type: 'string', requiresArg: true, default: 'fail', choices: ['fail', 'skip'] as const, describe: 'bad input: stop with an error naming file and line, or count it per reason and go on' })
    .option('workers', { type: 'string', requiresArg: true, default: 2, coerce: integerAtLeast('workers', 0), describe: 'encoder threads for byte-level BPE tokenizers (0 = this thread); other tokenizers use tokenizers\' own threads' })
    .option('images', { type: 'string', requiresArg: true, coerce: single('images'), describe: 'the files are LLaVA image-text records; DIR is the folder their image paths are relative to' })
    .option('json', { type: 'boolean', describe: 'print one JSON object (fields: docs/operators.md)' })
    .conflicts('tokenizer', 'train-tokenizer')
    .conflicts('images', 'train-tokenizer')
    .epilog(`${EXIT_CODES_HELP} Bad input under --on-error fail, or a file or tokenizer that cannot be read, is 1.`);
}

export type InspectArgs = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer A> ? A : never>;

/** Where the verb writes; `progress` (a terminal) gets a live line. */
export type InspectIo = Io;

function inspectOptions(args: InspectArgs): InspectOptions {
  const files = (args.files ?? []).map(String);
  if (files.length === 0) throw new UsageError('no input files given', 'inspect');
  if (args.saveTokenizer !== undefined && args.trainTokenizer === undefined) throw new UsageError('--save-tokenizer needs --train-tokenizer', 'inspect');
  return {
    files,
    ...(args.tokenizer !== undefined ? { tokenizer: args.tokenizer } : {}),
    ...(args.trainTokenizer !== undefined ? { trainVocab: args.trainTokenizer } : {}),
    ...(args.saveTokenizer !== undefined ? { saveTokenizer: args.saveTokenizer } : {}),
    seqLen: args.seqLen,
    onError: args.onError === 'skip' ? 'skip' : 'fail',
    workers: args.workers,
    json: args.json === true,
  };
}

export async function inspect(args: InspectArgs, io: InspectIo): Promise<number> {
  const opts = inspectOptions(args);
  if (args.images !== undefined) return inspectImageTextFiles(opts, args.images, io);
  try {
    const { prepareTokenizer } = await import('./tokenizer-setup.js');
    const { runInspection } = await import('./flow.js');
    const { renderText, toJson } = await import('./report.js');
    const setup = await prepareTokenizer(opts);
    try {
      const progress = io.progress;
      const report = await runInspection({
        files: opts.files, seqLen: opts.seqLen, onError: opts.onError,
        ...(setup ? { tokens: { encoder: setup.encoder, separatorId: setup.separatorId } } : {}),
        ...(progress ? {
          progress: (t: { docs: number; bytes: number; tokens: number }, seconds: number) =>
            progress(`inspect: ${t.docs} docs${setup ? `, ${t.tokens} tokens` : ''}, ${(t.bytes / 1e6 / seconds).toFixed(1)} MB/s`),
        } : {}),
      });
      if (progress) progress('');
      const tokenizer = setup?.describe ?? null;
      io.out(opts.json ? `${JSON.stringify(toJson(report, opts, tokenizer))}\n` : renderText(report, opts, tokenizer));
      return EXIT.ok;
    } finally {
      await setup?.encoder.close();
    }
  } catch (error) {
    // --json promises one JSON object on stdout, failures included; the message goes to stderr as for every verb.
    if (opts.json) io.out(`${JSON.stringify({ ok: false, error: (error as Error).message })}\n`);
    throw error;
  }
}

/** `--images DIR`: the image-text report (src/cli/inspect/image-text.ts). */
async function inspectImageTextFiles(opts: InspectOptions, images: string, io: InspectIo): Promise<number> {
  try {
    const { inspectImageText, renderImageTextReport } = await import('./image-text.js');
    const report = await inspectImageText({
      files: opts.files, images, onError: opts.onError, workers: opts.workers,
      ...(opts.tokenizer !== undefined ? { tokenizer: opts.tokenizer } : {}),
    });
    io.out(opts.json ? `${JSON.stringify(report)}\n` : renderImageTextReport(report));
    return EXIT.ok;
  } catch (error) {
    if (opts.json) io.out(`${JSON.stringify({ ok: false, error: (error as Error).message })}\n`);
    throw error;
  }
}

export const handler = verbHandler<InspectArgs>('inspect', inspect);

/** `pipeline inspect ...` with injectable output (tests). */
export function inspectCommand(argv: readonly string[], io: InspectIo = processIo): Promise<number> {
  return runVerb({ command, describe, builder }, 'inspect', argv, io, (args, verbIo) => inspect(args as InspectArgs, verbIo));
}
