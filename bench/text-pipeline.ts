/**
 * Text pipeline throughput, stage by stage, on real SlimPajama-format text. Prints one JSON object.
 *
 *   npm run build && node dist/bench/text-pipeline.js [sample.jsonl.zst] [repeats] [--runs N] [--no-anchor] [--no-hf]
 *
 * Input: the shared 116-document sample (0.9 MB) concatenated `repeats` times as .zst frames
 * (default 40: ~38 MB of JSONL, ~35 MB of text). An 8000-piece BPE (LibMoE's recipe, see
 * docs/operators.md) is trained on the sample first. Each stage is timed over the whole input,
 * best of `runs`:
 *   decode                        zstd → bytes
 *   decodeParse                   + lines, UTF-8, JSON, records (the SlimPajama source)
 *   decodeParseTokenize           + tokenize (default encoder: JavaScript BPE, 2 worker threads)
 *   fullPath                      + pack (seq-len 1024) + batch (16 × 1025 Int32Array)
 *   tokenizeOnly                  the same encoder on texts already in memory
 * plus reference figures: `tokenizers` (Rust) encodeBatch on a few copies, and one pass of
 * the JavaScript encoder with an empty word cache on one thread (the repeated input keeps the
 * cache warm after its first copy; real data repeats words too, but less). Ratios are taken within this run: full ÷ tokenize-only, and
 * full ÷ the Python anchor (../shared/anchors/text_loader_py.py with SentencePiece), run with
 * /usr/bin/python3 when sentencepiece and zstandard import there.
 * Cores busy = CPU seconds (this process with its worker threads, plus the zstd child
 * process when the CLI decoder runs) ÷ wall seconds; the machine has 2. CPU seconds per MB of
 * text are reported too: on a shared machine they vary far less than wall-clock rates.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openDecoded, slimPajama } from '../src/streams/index.js';
import { pipe } from '../src/streams/pipe.js';
import { tokenize } from '../src/ops/tokenize.js';
import { pack } from '../src/ops/pack.js';
import { batch } from '../src/ops/batch.js';
import { statsOf } from '../src/ops/support/stats.js';
import { type BatchEncoder, bestEncoder, jsBpeEncoder, tokenizersEncoder } from '../src/tokenizer/batch-encoder.js';
import { separatorId } from '../src/tokenizer/tokenizer.js';
import { trainTokenizer } from '../src/tokenizer/train-bpe.js';
import type { TokenizerJson } from '../src/tokenizer/tokenizer-json.js';
import { cpuSeconds } from '../src/cli/shared/cpu-time.js';

const runsArg = process.argv.indexOf('--runs');
// `--runs N` takes a value: N is not a positional argument.
const positional = process.argv.slice(2).filter((a, i) => !a.startsWith('--') && !(runsArg > 0 && i + 2 === runsArg + 1));
const flag = (name: string): boolean => process.argv.includes(`--${name}`);
/** `<repo>/../shared`, or `$MOEFLOW_SHARED` for checkouts that live elsewhere. */
const shared = resolve(process.env['MOEFLOW_SHARED'] ?? join('..', 'shared'));
const sample = resolve(positional[0] ?? join(shared, 'data', 'slimpajama', 'example_shared_0.jsonl.zst'));
const repeats = Number(positional[1] ?? 40);
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
const SEQ_LEN = 1024;
const BATCH = 16;
const HF_COPIES = 3;
const ANCHOR_COPIES = 10;

const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

interface Measured { seconds: number; cores: number; cpuSeconds: number; tokens: number; windows: number }

/** Best (shortest) of `runs` runs; cores from that run. */
async function best(fn: () => Promise<{ tokens?: number; windows?: number }>): Promise<Measured> {
  let result: Measured | undefined;
  for (let i = 0; i < runs; i++) {
    const cpu0 = cpuSeconds();
    const t0 = process.hrtime.bigint();
    const out = await fn();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = cpuSeconds() - cpu0;
    if (result === undefined || seconds < result.seconds) {
      result = { seconds, cores: cpu / seconds, cpuSeconds: cpu, tokens: out.tokens ?? 0, windows: out.windows ?? 0 };
    }
  }
  return result!;
}

function rates(m: Measured, textBytes: number, decodedBytes?: number) {
  return {
    seconds: round(m.seconds, 3),
    textMBps: round(textBytes / 1e6 / m.seconds),
    ...(decodedBytes !== undefined ? { decodedMBps: round(decodedBytes / 1e6 / m.seconds) } : {}),
    ...(m.tokens > 0 ? { tokensPerSecond: Math.round(m.tokens / m.seconds) } : {}),
    ...(m.windows > 0 ? { windows: m.windows } : {}),
    coresBusy: round(m.cores),
    // CPU work per MB barely depends on how loaded the machine is; 2 cores could at best
    // run 2 / this many MB per second.
    cpuSecondsPerTextMB: round(m.cpuSeconds / (textBytes / 1e6), 4),
  };
}

/** The encoder alone, batched and queued as `tokenize` does by default. */
async function encodeAll(encoder: BatchEncoder, texts: readonly string[], inFlight = 4, batchSize = 128): Promise<number> {
  let tokens = 0;
  const pending: Promise<Int32Array[]>[] = [];
  for (let i = 0; i < texts.length; i += batchSize) {
    pending.push(encoder.encodeBatch(texts.slice(i, i + batchSize)));
    if (pending.length >= inFlight) for (const ids of await pending.shift()!) tokens += ids.length;
  }
  for (const p of pending) for (const ids of await p) tokens += ids.length;
  return tokens;
}

function pythonAnchor(dir: string, copiesFile: string): { MB_per_s: number; tokens_per_s: number; [k: string]: unknown } | { unavailable: string } {
  const python = '/usr/bin/python3';
  const anchors = join(shared, 'anchors');
  if (!existsSync(python)) return { unavailable: `${python} not found` };
  if (!existsSync(join(anchors, 'text_loader_py.py'))) return { unavailable: `no anchor scripts in ${anchors}` };
  const probe = spawnSync(python, ['-c', 'import sentencepiece, zstandard'], { encoding: 'utf8' });
  if (probe.status !== 0) return { unavailable: `python3 cannot import sentencepiece/zstandard (apt-get install python3-sentencepiece python3-zstandard): ${probe.stderr.trim().split('\n').at(-1)}` };
  const model = join(dir, 'sp8000');
  const train = spawnSync(python, [join(anchors, 'train_sp.py'), model, sample], { encoding: 'utf8' });
  if (train.status !== 0) return { unavailable: `train_sp.py failed: ${train.stderr.trim().slice(-300)}` };
  const cpu0 = cpuSeconds();
  const run = spawnSync(python, [join(anchors, 'text_loader_py.py'), `${model}.model`, copiesFile], { encoding: 'utf8' });
  if (run.status !== 0) return { unavailable: `text_loader_py.py failed: ${run.stderr.trim().slice(-300)}` };
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { MB_per_s: number; tokens_per_s: number; text_MB: number };
  // The script makes 3 passes (and loads its model once): CPU per MB over all of them.
  const cpuSecondsPerTextMB = round((cpuSeconds() - cpu0) / (3 * result.text_MB), 4);
  return { ...result, cpuSecondsPerTextMB };
}

async function main(): Promise<void> {
  if (!existsSync(sample)) {
    console.log(JSON.stringify({ skipped: `no sample at ${sample}` }));
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'moeflow-text-bench-'));
  const load = [loadavg()[0]!];
  try {
    const compressed = readFileSync(sample);
    const input = join(dir, 'repeated.jsonl.zst');
    writeFileSync(input, Buffer.concat(Array.from({ length: repeats }, () => compressed)));
    const anchorInput = join(dir, 'anchor.jsonl.zst');
    writeFileSync(anchorInput, Buffer.concat(Array.from({ length: ANCHOR_COPIES }, () => compressed)));

    const oneCopy: string[] = [];
    for await (const r of slimPajama({ files: [sample] })()) oneCopy.push(r.text);
    const textBytesPerCopy = oneCopy.reduce((s, t) => s + Buffer.byteLength(t), 0);
    const textBytes = textBytesPerCopy * repeats;
    const allTexts = Array.from({ length: repeats }, () => oneCopy).flat();

    const t0 = process.hrtime.bigint();
    const trained = await trainTokenizer(oneCopy, { vocabSize: 8000 });
    const trainSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const sep = separatorId(trained.tokenizer);
    const encoder = bestEncoder(trained.json);

    let decodedBytes = 0;
    const decode = await best(async () => {
      decodedBytes = 0;
      for await (const chunk of openDecoded(input, {})) decodedBytes += chunk.length;
      return {};
    });
    const source = () => slimPajama({ files: [input], shuffleFiles: false });
    const decodeParse = await best(async () => {
      let docs = 0;
      for await (const _ of source()()) docs++;
      if (docs !== oneCopy.length * repeats) throw new Error(`read ${docs} documents, expected ${oneCopy.length * repeats}`);
      return {};
    });
    const decodeParseTokenize = await best(async () => {
      let tokens = 0;
      for await (const doc of pipe(source(), tokenize({ encoder }))()) tokens += doc.ids.length;
      return { tokens };
    });
    const fullPath = await best(async () => {
      const stage = pipe(source(), tokenize({ encoder }), pack({ seqLen: SEQ_LEN, separatorId: sep }), batch({ size: BATCH }))();
      let windows = 0;
      for await (const b of stage) windows += b.batchSize;
      const tokens = Number(statsOf(stage.stats?.(), 'tokenize')?.['tokens'] ?? 0);
      return { tokens, windows };
    });
    const tokenizeOnly = await best(async () => ({ tokens: await encodeAll(encoder, allTexts) }));
    await encoder.close();

    const hfTexts = allTexts.slice(0, oneCopy.length * HF_COPIES);
    const hf = flag('no-hf') ? undefined : await best(async () => ({ tokens: await encodeAll(tokenizersEncoder(trained.tokenizer), hfTexts) }));
    // An empty word cache on JIT-compiled code: one pass over never-seen text (116 documents).
    const json = JSON.parse(trained.json) as TokenizerJson;
    await encodeAll(jsBpeEncoder(json), oneCopy, 1);
    const cold = await (async () => {
      const fresh = jsBpeEncoder(json);
      const start = process.hrtime.bigint();
      const tokens = await encodeAll(fresh, oneCopy, 1);
      return { seconds: Number(process.hrtime.bigint() - start) / 1e9, tokens };
    })();

    const anchor = flag('no-anchor') ? { unavailable: '--no-anchor' } : pythonAnchor(dir, anchorInput);
    load.push(loadavg()[0]!);
    const full = rates(fullPath, textBytes, decodedBytes);
    const tokOnly = rates(tokenizeOnly, textBytes);
    console.log(JSON.stringify({
      input: { sample, repeats, decodedMB: round(decodedBytes / 1e6), textMB: round(textBytes / 1e6), docs: oneCopy.length * repeats },
      tokenizer: { vocabSize: 8000, trainSeconds: round(trainSeconds), encoder: encoder.kind, separatorId: sep },
      runs,
      stages: {
        decode: rates(decode, textBytes, decodedBytes),
        decodeParse: rates(decodeParse, textBytes, decodedBytes),
        decodeParseTokenize: rates(decodeParseTokenize, textBytes, decodedBytes),
        fullPath: { ...full, seqLen: SEQ_LEN, batchSize: BATCH },
        tokenizeOnly: tokOnly,
      },
      reference: {
        tokenizersEncodeBatchOnly: hf ? { ...rates(hf, textBytesPerCopy * HF_COPIES), copies: HF_COPIES } : null,
        jsBpeEmptyCacheSinglePass: { textMBps: round(textBytesPerCopy / 1e6 / cold.seconds), tokensPerSecond: Math.round(cold.tokens / cold.seconds), threads: 1 },
        pythonAnchor: 'unavailable' in anchor ? null : { ...anchor, copies: ANCHOR_COPIES },
      },
      ratios: {
        fullPathOverTokenizeOnly: round(full.textMBps / tokOnly.textMBps, 3),
        fullPathOverTokenizeOnlyTarget: 0.6,
        fullPathOverPythonAnchor: 'unavailable' in anchor ? null : round(full.textMBps / anchor.MB_per_s, 2),
        fullPathOverPythonAnchorTarget: 2.5,
        pythonAnchorCpuPerMBOverFullPath: 'unavailable' in anchor ? null : round(Number(anchor['cpuSecondsPerTextMB']) / full.cpuSecondsPerTextMB, 2),
        ...('unavailable' in anchor ? { pythonAnchorUnavailable: anchor.unavailable } : {}),
      },
      bothCoresBusy: { fullPathCores: full.coresBusy, machineCores: 2, busy: full.coresBusy >= 1.6 },
      loadAverage1m: { start: round(load[0]!), end: round(load[1]!) },
    }, null, 1));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
