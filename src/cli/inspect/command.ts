/**
 * `pipeline inspect FILES...`: stream SlimPajama-format files through source → tokenize → pack
 * and report what came through (per file and domain), what was skipped and why, and how fast.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { OnError } from '../../streams/index.js';
import type { Json } from '../../streams/stage.js';
import { bestEncoder, tokenizersEncoder } from '../../tokenizer/batch-encoder.js';
import { loadTokenizer, separatorId, vocabSize } from '../../tokenizer/tokenizer.js';
import { trainTokenizerFromFiles } from '../../tokenizer/train-from-files.js';
import { type InspectReport, runInspection } from './flow.js';

export const INSPECT_HELP = `Usage: pipeline inspect FILES... [options]

Stream SlimPajama-format files (.jsonl, .jsonl.zst, .jsonl.gz, directories, globs) through
source → tokenize → pack (LibMoE windows of seq-len + 1 tokens) and report records per file
and domain, skipped records per reason, characters, tokens, packed windows, packing
efficiency and throughput.

Options:
  --tokenizer FILE         a HuggingFace tokenizer.json
  --train-tokenizer VOCAB  instead, train LibMoE's BPE (VOCAB pieces, digits split,
                           <STORY_SEP>) on the input files first (not timed)
  --save-tokenizer FILE    with --train-tokenizer: write the trained tokenizer.json here
  --seq-len N              window length without the extra target token (default 1024)
  --on-error fail|skip     bad input: stop with an error naming file and line (default),
                           or count it per reason and go on
  --workers N              encoder threads for byte-level BPE tokenizers (default 2;
                           0 = this thread); other tokenizers use tokenizers' own threads
  --json                   print one JSON object (fields: docs/operators.md)
  -h, --help               this help

Exit codes: 0 done; 1 bad input with --on-error fail, or a file/tokenizer that cannot be
read; 2 wrong usage.`;

const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

interface Options {
  files: string[];
  tokenizer?: string;
  trainVocab?: number;
  saveTokenizer?: string;
  seqLen: number;
  onError: OnError;
  workers: number;
  json: boolean;
}

class UsageError extends Error {}

/** Where the verb writes (tests pass their own). */
export interface InspectIo {
  out(text: string): void;
  err(text: string): void;
  /** Where a live progress line goes, if anywhere (a terminal). */
  progress?(text: string): void;
}

const processIo: InspectIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  ...(process.stderr.isTTY ? { progress: (t: string) => process.stderr.write(`\r${t}\x1b[K`) } : {}),
};

export async function inspectCommand(argv: string[], io: InspectIo = processIo): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`pipeline inspect: ${error.message}\n(see pipeline inspect --help)\n`);
    return EXIT.usage;
  }
  if (options === 'help') {
    io.out(`${INSPECT_HELP}\n`);
    return EXIT.ok;
  }
  const opts = options;
  try {
    const setup = await prepareTokenizer(opts);
    try {
      const progress = io.progress;
      const report = await runInspection({
        files: opts.files, encoder: setup.encoder, separatorId: setup.separatorId, seqLen: opts.seqLen, onError: opts.onError,
        ...(progress ? {
          progress: (t: { docs: number; bytes: number; tokens: number }, seconds: number) =>
            progress(`inspect: ${t.docs} docs, ${t.tokens} tokens, ${(t.bytes / 1e6 / seconds).toFixed(1)} MB/s`),
        } : {}),
      });
      if (progress) progress('');
      const result = toJson(report, opts, setup.describe);
      io.out(opts.json ? `${JSON.stringify(result)}\n` : render(report, opts, setup.describe));
      return EXIT.ok;
    } finally {
      await setup.encoder.close();
    }
  } catch (error) {
    const message = (error as Error).message;
    io.err(`pipeline inspect: error: ${message}\n`);
    if (opts.json) io.out(`${JSON.stringify({ ok: false, error: message })}\n`);
    return EXIT.failed;
  }
}

function parseOptions(argv: string[]): Options | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        tokenizer: { type: 'string' },
        'train-tokenizer': { type: 'string' },
        'save-tokenizer': { type: 'string' },
        'seq-len': { type: 'string' },
        'on-error': { type: 'string' },
        workers: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]!);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  if (parsed.positionals.length === 0) throw new UsageError('no input files given');
  if ((v.tokenizer === undefined) === (v['train-tokenizer'] === undefined)) {
    throw new UsageError('give exactly one of --tokenizer FILE or --train-tokenizer VOCAB');
  }
  if (v['save-tokenizer'] !== undefined && v['train-tokenizer'] === undefined) throw new UsageError('--save-tokenizer needs --train-tokenizer');
  const onError = v['on-error'] ?? 'fail';
  if (onError !== 'fail' && onError !== 'skip') throw new UsageError(`--on-error: expected fail or skip, got "${onError}"`);
  return {
    files: parsed.positionals,
    ...(v.tokenizer !== undefined ? { tokenizer: v.tokenizer } : {}),
    ...(v['train-tokenizer'] !== undefined ? { trainVocab: integer('train-tokenizer', v['train-tokenizer'], 257) } : {}),
    ...(v['save-tokenizer'] !== undefined ? { saveTokenizer: v['save-tokenizer'] } : {}),
    seqLen: v['seq-len'] === undefined ? 1024 : integer('seq-len', v['seq-len'], 1),
    onError,
    workers: v.workers === undefined ? 2 : integer('workers', v.workers, 0),
    json: v.json === true,
  };
}

function integer(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name}: expected an integer >= ${min}, got "${text}"`);
  return n;
}

interface TokenizerSetup {
  encoder: ReturnType<typeof bestEncoder>;
  separatorId: number;
  describe: { [key: string]: Json };
}

async function prepareTokenizer(opts: Options): Promise<TokenizerSetup> {
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
  const t0 = process.hrtime.bigint();
  const trained = await trainTokenizerFromFiles({ files: opts.files, onError: opts.onError, vocabSize: opts.trainVocab! });
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

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

function toJson(report: InspectReport, opts: Options, tokenizer: { [key: string]: Json }): Json {
  const source = report.source as { [key: string]: Json };
  const byFile = (source['byFile'] ?? {}) as { [file: string]: Json };
  const files: { [file: string]: Json } = {};
  for (const [file, counts] of Object.entries(byFile)) {
    files[file] = { ...(counts as { [key: string]: Json }), ...(report.byFile[file] ?? { docs: 0, chars: 0, bytes: 0, tokens: 0 }) };
  }
  const domains: { [domain: string]: Json } = {};
  for (const [domain, c] of Object.entries(report.byDomain)) {
    domains[domain] = { ...c, charsPerToken: c.tokens === 0 ? null : round(c.chars / c.tokens, 3) };
  }
  const p = report.pack as { [key: string]: number };
  return {
    ok: true,
    onError: opts.onError,
    tokenizer,
    records: {
      read: source['read'] ?? 0, used: source['used'] ?? 0, skipped: source['skipped'] ?? 0,
      skippedByReason: source['skippedByReason'] ?? {}, blankLines: source['blankLines'] ?? 0,
    },
    totals: { ...report.totals },
    files,
    domains,
    pack: {
      seqLen: opts.seqLen, windows: p['windows'] ?? 0, tokensIn: p['tokensIn'] ?? 0, separators: p['separators'] ?? 0,
      tokensPacked: p['tokensPacked'] ?? 0, tokensDropped: p['tokensDropped'] ?? 0, paddingTokens: p['paddingTokens'] ?? 0,
      efficiency: round(p['efficiency'] ?? 0, 6),
    },
    throughput: {
      seconds: round(report.seconds, 3),
      textMBps: round(report.totals.bytes / 1e6 / report.seconds, 2),
      tokensPerSecond: Math.round(report.totals.tokens / report.seconds),
      cpuCores: round(report.cpuSeconds / report.seconds, 2),
    },
  };
}

function render(report: InspectReport, opts: Options, tokenizer: { [key: string]: Json }): string {
  const j = toJson(report, opts, tokenizer) as { [key: string]: { [key: string]: Json } };
  const lines: string[] = [];
  const r = j['records']!;
  lines.push(`records: ${r['read']} read, ${r['used']} used, ${r['skipped']} skipped, ${r['blankLines']} blank lines (on-error ${opts.onError})`);
  const reasons = Object.entries(r['skippedByReason'] as { [k: string]: number });
  if (reasons.length > 0) lines.push(`skipped by reason: ${reasons.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  const t = tokenizer;
  lines.push(`tokenizer: ${t['trained'] ? `trained BPE (${t['trainSeconds']} s on ${t['sampleDocs']} docs)` : t['path']}, vocab ${t['vocabSize']}, separator ${t['separator']} (id ${t['separatorId']}), encoder ${t['encoder']}`);
  lines.push('', table(['file', 'read', 'used', 'skipped', 'chars', 'tokens'], Object.entries(j['files']!).map(([file, c]) => {
    const x = c as { [k: string]: number };
    return [file, x['read'], x['used'], x['skipped'], x['chars'], x['tokens']];
  })));
  lines.push('', table(['domain', 'docs', 'chars', 'tokens', 'chars/token'], Object.entries(j['domains']!).map(([domain, c]) => {
    const x = c as { [k: string]: number };
    return [domain, x['docs'], x['chars'], x['tokens'], x['charsPerToken']];
  })));
  const p = j['pack']!;
  lines.push('', `packing: seq-len ${p['seqLen']}, ${p['windows']} windows of ${Number(p['seqLen']) + 1} tokens, ${p['tokensIn']} tokens in (incl. ${p['separators']} separators), ${p['tokensPacked']} packed, ${p['tokensDropped']} dropped at the end, no padding, efficiency ${p['efficiency']}`);
  const th = j['throughput']!;
  lines.push(`throughput: ${th['textMBps']} MB/s of text, ${th['tokensPerSecond']} tokens/s, ${th['cpuCores']} cores busy, ${th['seconds']} s`);
  return `${lines.join('\n')}\n`;
}

function table(header: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [header, ...rows.map((row) => row.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}
