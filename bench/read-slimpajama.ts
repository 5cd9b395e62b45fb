/**
 * Source throughput on real SlimPajama-format text. Prints one JSON object.
 *
 *   npm run build && node dist/bench/read-slimpajama.js [path/to/example_shared_0.jsonl.zst] [repeats]
 *
 * The shared sample (0.9 MB) is repeated into a temporary file of a few tens of MB in two forms:
 * `concat`: the .zst file itself repeated (many ~1 MB frames, like many small shards), and
 * `long31`: the repeated text recompressed in one stream with `zstd --long=31 -3` (one frame
 * declaring a 2 GiB window, like SlimPajama's files; the repeats compress ~100×, so its speed is
 * optimistic: it shows the 2 GiB-window path works, `concat` is the realistic figure).
 * MB/s are of decoded (JSONL) bytes; best of 3 runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isUtf8 } from 'node:buffer';
import { openDecoded, slimPajama, zstdCliAvailable } from '../src/streams/index.js';

const source = resolve(process.argv[2] ?? join('..', 'shared', 'data', 'slimpajama', 'example_shared_0.jsonl.zst'));
const repeats = Number(process.argv[3] ?? 40);
const runs = 3;

async function best(fn: () => Promise<number>): Promise<{ mb_s: number; seconds: number; mb: number }> {
  let bestSeconds = Infinity;
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    bytes = await fn();
    bestSeconds = Math.min(bestSeconds, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const mb = bytes / 1e6;
  return { mb_s: round(mb / bestSeconds), seconds: round(bestSeconds, 3), mb: round(mb) };
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

async function rawDecode(file: string, zstd: 'cli' | 'js'): Promise<number> {
  let n = 0;
  for await (const chunk of openDecoded(file, { zstd })) n += chunk.length;
  return n;
}

/** Decode + split + UTF-8 check + JSON.parse + record objects: everything up to the tokenizer. */
async function decodeParse(file: string, decoder: 'cli' | 'js', decodedBytes: number): Promise<number> {
  let records = 0;
  for await (const record of slimPajama({ files: [file], decoder })()) if (record.text.length >= 0) records++;
  if (records === 0) throw new Error(`no records read from ${file}`);
  return decodedBytes;
}

async function main(): Promise<void> {
  if (!existsSync(source)) {
    console.log(JSON.stringify({ skipped: `no sample at ${source}` }));
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'moeflow-bench-'));
  try {
    const compressed = readFileSync(source);
    const concat = join(dir, 'concat.jsonl.zst');
    writeFileSync(concat, Buffer.concat(Array.from({ length: repeats }, () => compressed)));
    const text = Buffer.concat(await collect(concat));
    const plain = join(dir, 'plain.jsonl');
    writeFileSync(plain, text);
    const long31 = join(dir, 'long31.jsonl.zst');
    const cli = zstdCliAvailable();
    if (cli) {
      const r = spawnSync('zstd', ['-q', '-c', '-3', '--long=31'], { input: text, maxBuffer: 1 << 30 });
      writeFileSync(long31, r.stdout);
    }

    const result: Record<string, unknown> = {
      node: process.version,
      cpus: os.cpus().length,
      load_average_1m: round(os.loadavg()[0]!, 2),
      source,
      decoded_mb: round(text.length / 1e6),
      zstd_cli: cli,
      plain_decode_parse: await best(() => decodeParse(plain, 'js', text.length)),
    };
    for (const [name, file] of [['concat', concat], ['long31_repetitive', long31]] as const) {
      if (name === 'long31_repetitive' && !cli) continue;
      const entry: Record<string, unknown> = { compressed_mb: round(readFileSync(file).length / 1e6) };
      if (cli) entry.raw_decode_cli = await best(() => rawDecode(file, 'cli'));
      entry.raw_decode_js = await best(() => rawDecode(file, 'js'));
      if (cli) entry.decode_parse_cli = await best(() => decodeParse(file, 'cli', text.length));
      entry.decode_parse_js = await best(() => decodeParse(file, 'js', text.length));
      result[name] = entry;
    }
    result.utf8_check_per_line = await utf8Checks(text);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function collect(file: string): Promise<Buffer[]> {
  const parts: Buffer[] = [];
  for await (const chunk of openDecoded(file, { zstd: 'js' })) parts.push(chunk);
  return parts;
}

/** The source decodes each line with a fatal TextDecoder; isUtf8 + toString is the alternative. */
async function utf8Checks(text: Buffer): Promise<Record<string, unknown>> {
  const lines: Buffer[] = [];
  for (let start = 0; start < text.length;) {
    const nl = text.indexOf(10, start);
    const end = nl < 0 ? text.length : nl;
    lines.push(text.subarray(start, end));
    start = end + 1;
  }
  const fatal = new TextDecoder('utf-8', { fatal: true });
  const isUtf8ToString = await best(async () => { let n = 0; for (const l of lines) if (isUtf8(l)) n += l.toString('utf8').length; return n > 0 ? text.length : 0; });
  const textDecoder = await best(async () => { let n = 0; for (const l of lines) n += fatal.decode(l).length; return n > 0 ? text.length : 0; });
  return { is_utf8_then_to_string: isUtf8ToString, fatal_text_decoder: textDecoder };
}

await main();
