/**
 * What `pipeline inspect` measures: files → SlimPajama source → tokenize → pack, counting
 * records, skips, characters, tokens and windows per file and per domain, and the throughput.
 * Without a tokenizer the flow stops at the source: records, bytes, domains, skips and MB/s
 * need no tokens.
 */
import { slimPajama, type OnError } from '../../streams/index.js';
import { pipe } from '../../streams/pipe.js';
import type { Json, StageStats } from '../../streams/stage.js';
import { map } from '../../ops/map.js';
import { pack } from '../../ops/pack.js';
import { tokenize } from '../../ops/tokenize.js';
import type { TextRecord } from '../../ops/items/text-record.js';
import type { TokenizedDoc } from '../../ops/items/tokenized-doc.js';
import type { BatchEncoder } from '../../tokenizer/batch-encoder.js';
import { statsOf } from '../../ops/support/stats.js';
import { cpuSeconds } from '../shared/cpu-time.js';

export interface InspectRequest {
  readonly files: readonly string[];
  /** Absent: count records and text only (no tokenize, no pack). */
  readonly tokens?: { readonly encoder: BatchEncoder; readonly separatorId: number };
  readonly seqLen: number;
  readonly onError: OnError;
  /** Called about once a second with the running totals (e.g. a progress line on a terminal). */
  readonly progress?: (totals: Readonly<TextCounts>, seconds: number) => void;
}

export interface TextCounts { docs: number; chars: number; bytes: number; tokens: number }

export interface InspectReport {
  /** The source's counts: read = used + skipped, per reason, per file. */
  source: StageStats;
  byFile: Record<string, TextCounts>;
  byDomain: Record<string, TextCounts>;
  totals: TextCounts;
  /** The packer's counts; absent without a tokenizer. */
  pack?: StageStats;
  seconds: number;
  cpuSeconds: number;
}

function emptyCounts(): TextCounts {
  return { docs: 0, chars: 0, bytes: 0, tokens: 0 };
}

/** What one document adds to the counts. */
interface DocSize { readonly domain: string; readonly file: string; readonly chars: number; readonly bytes: number; readonly tokens: number }

function add(into: Record<string, TextCounts>, key: string, doc: DocSize): void {
  const c = (into[key] ??= emptyCounts());
  c.docs++; c.chars += doc.chars; c.bytes += doc.bytes; c.tokens += doc.tokens;
}

const tokenizedSize = (d: TokenizedDoc): DocSize => ({ domain: d.domain, file: d.provenance.file, chars: d.chars, bytes: d.bytes, tokens: d.ids.length });
const recordSize = (r: TextRecord): DocSize => ({ domain: r.domain, file: r.provenance.file, chars: r.text.length, bytes: Buffer.byteLength(r.text, 'utf8'), tokens: 0 });

/** Streams the files once. Throws (naming file and line) when `onError` is 'fail' and an input is bad. */
export async function runInspection(request: InspectRequest): Promise<InspectReport> {
  const byFile: Record<string, TextCounts> = {};
  const byDomain: Record<string, TextCounts> = {};
  const totals = emptyCounts();
  const count = <D>(size: (doc: D) => DocSize) => (doc: D): D => {
    const s = size(doc);
    add(byFile, s.file, s);
    add(byDomain, s.domain, s);
    totals.docs++; totals.chars += s.chars; totals.bytes += s.bytes; totals.tokens += s.tokens;
    return doc;
  };
  const source = slimPajama({ files: request.files, onError: request.onError, shuffleFiles: false });
  const tokens = request.tokens;
  const stage = tokens
    ? pipe(source, tokenize({ encoder: tokens.encoder }), map(count(tokenizedSize)), pack({ seqLen: request.seqLen, separatorId: tokens.separatorId }))()
    : pipe(source, map(count(recordSize)))();
  const cpu0 = cpuSeconds();
  const t0 = process.hrtime.bigint();
  let lastReport = t0;
  for await (const _window of stage) {
    if (request.progress !== undefined) {
      const now = process.hrtime.bigint();
      if (now - lastReport >= 1_000_000_000n) {
        lastReport = now;
        request.progress(totals, Number(now - t0) / 1e9);
      }
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSeconds() - cpu0;
  const stats = stage.stats?.();
  return {
    source: sourceStats(stats),
    byFile,
    byDomain,
    totals,
    ...(tokens ? { pack: statsOf(stats, 'pack') ?? {} } : {}),
    seconds,
    cpuSeconds: cpu,
  };
}

/** The innermost stats object (the source's). */
function sourceStats(stats: StageStats | undefined): StageStats {
  let current: Json | undefined = stats;
  while (current && typeof current === 'object' && !Array.isArray(current) && current['upstream'] && typeof current['upstream'] === 'object') {
    current = current['upstream'];
  }
  return (current ?? {}) as StageStats;
}
