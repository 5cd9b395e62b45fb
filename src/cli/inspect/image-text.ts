/**
 * `pipeline inspect` for LLaVA image-text files: streams `.json`/`.jsonl` records through
 * llava source → [conversation (with a tokenizer)] → preprocessImages and reports what came
 * through (per file), what was skipped and why, images found and missing, tokens per sample,
 * the supervised-token share and throughput. A module of its own, so the command (whatever
 * parses its arguments) only has to call `inspectImageText` and print `renderImageTextReport`.
 */
import { statSync } from 'node:fs';
import { conversation } from '../../ops/conversation.js';
import type { ImageTensor } from '../../ops/image/preprocess.js';
import type { ConversationSample } from '../../ops/items/conversation-sample.js';
import { preprocessImages } from '../../ops/preprocess-images.js';
import { llava } from '../../streams/llava/llava.js';
import type { ImageTextRecord } from '../../streams/llava/image-text-record.js';
import { pipe } from '../../streams/pipe.js';
import type { Stage } from '../../streams/stage.js';
import { loadTokenizer } from '../../tokenizer/tokenizer.js';

export interface ImageTextInspectOptions {
  readonly files: readonly string[];
  /** The image root (`--images DIR`). */
  readonly images: string;
  /** A tokenizer.json (`--tokenizer`): adds tokens per sample and the supervised share. */
  readonly tokenizer?: string;
  readonly template?: 'phi35' | 'plain';
  readonly onError?: 'fail' | 'skip';
  /** Image processor the images go through (default clip336). */
  readonly processor?: 'clip336' | 'siglip224';
  /** Image worker threads (default 2). */
  readonly workers?: number;
}

export interface FileCounts {
  read: number;
  used: number;
  skipped: number;
  skippedByReason: Record<string, number>;
}

export interface ImageTextReport {
  readonly files: number;
  /** Over every stage: read = used + skipped. */
  readonly records: FileCounts;
  /** What the source read per file (stage skips after it are in `records`). */
  readonly byFile: Record<string, FileCounts>;
  readonly byModality: { image: number; text: number };
  readonly images: { found: number; missing: number; bytes: number };
  /** Present with a tokenizer. */
  readonly tokens?: {
    readonly total: number;
    readonly supervised: number;
    readonly supervisedShare: number;
    readonly lengthMismatch: number;
    readonly truncated: number;
    /** Samples per length bucket: key = upper bound (powers of two), e.g. "64" = 33–64 tokens. */
    readonly histogram: Record<string, number>;
    readonly min: number;
    readonly max: number;
    readonly mean: number;
  };
  readonly seconds: number;
  readonly imagesPerSecond: number;
  readonly megabytesPerSecond: number;
}

type Item = (ImageTextRecord | ConversationSample) & { readonly pixels?: ImageTensor };

export async function inspectImageText(options: ImageTextInspectOptions): Promise<ImageTextReport> {
  const onError = options.onError ?? 'fail';
  const source = llava({ files: options.files, imageRoot: options.images, onError, shuffleFiles: false });
  const images = preprocessImages<Item>({ processor: options.processor ?? 'clip336', workers: options.workers ?? 2, onError });
  const stage: Stage<Item> = options.tokenizer
    ? pipe(source, conversation({ tokenizer: loadTokenizer(options.tokenizer), template: options.template ?? 'phi35', onError }), images)()
    : pipe(source, images)();

  const lengths: number[] = [];
  let supervised = 0;
  let imageBytes = 0;
  let found = 0;
  const byModality = { image: 0, text: 0 };
  const start = process.hrtime.bigint();
  for await (const item of stage) {
    byModality[item.modality]++;
    if (item.image !== undefined) {
      found++;
      imageBytes += statSync(item.image).size;
    }
    if ('ids' in item) {
      lengths.push(item.ids.length);
      supervised += item.supervised;
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;

  const stats = stage.stats!() as unknown as StageTree;
  const sourceStats = findSource(stats);
  const records: FileCounts = { read: sourceStats.read, used: 0, skipped: 0, skippedByReason: { ...sourceStats.skippedByReason } };
  let conversationStats: { lengthMismatch: number; truncated: number } | undefined;
  for (let s: StageTree | null = stats; s && s.op; s = s.upstream) {
    for (const [reason, n] of Object.entries(s.skippedByReason ?? {})) records.skippedByReason[reason] = (records.skippedByReason[reason] ?? 0) + n;
    if (s.op === 'conversation') conversationStats = s as unknown as { lengthMismatch: number; truncated: number };
  }
  records.skipped = Object.values(records.skippedByReason).reduce((a, b) => a + b, 0);
  records.used = records.read - records.skipped;

  const total = lengths.reduce((a, b) => a + b, 0);
  const histogram: Record<string, number> = {};
  for (const n of lengths) {
    const bucket = String(2 ** Math.ceil(Math.log2(Math.max(1, n))));
    histogram[bucket] = (histogram[bucket] ?? 0) + 1;
  }
  return {
    files: Object.keys(sourceStats.byFile).length,
    records,
    byFile: sourceStats.byFile,
    byModality,
    images: { found, missing: (records.skippedByReason['missing_image'] ?? 0) + (records.skippedByReason['empty_image'] ?? 0), bytes: imageBytes },
    ...(options.tokenizer ? {
      tokens: {
        total, supervised, supervisedShare: total ? supervised / total : 0,
        lengthMismatch: conversationStats?.lengthMismatch ?? 0, truncated: conversationStats?.truncated ?? 0,
        histogram: Object.fromEntries(Object.entries(histogram).sort((a, b) => Number(a[0]) - Number(b[0]))),
        min: lengths.length ? Math.min(...lengths) : 0, max: lengths.length ? Math.max(...lengths) : 0, mean: lengths.length ? total / lengths.length : 0,
      },
    } : {}),
    seconds,
    imagesPerSecond: seconds > 0 ? found / seconds : 0,
    megabytesPerSecond: seconds > 0 ? imageBytes / 2 ** 20 / seconds : 0,
  };
}

interface StageTree {
  op?: string;
  skippedByReason?: Record<string, number>;
  upstream: StageTree | null;
  read: number;
  byFile: Record<string, FileCounts>;
}

/** The source's stats at the bottom of the nested op stats. */
function findSource(stats: StageTree): StageTree {
  let s = stats;
  while (s.op && s.upstream) s = s.upstream;
  return s;
}

export function renderImageTextReport(r: ImageTextReport): string {
  const lines: string[] = [];
  const reasons = (c: FileCounts) => Object.entries(c.skippedByReason).map(([k, n]) => `${k} ${n}`).join(', ');
  lines.push(`records: read ${r.records.read}, used ${r.records.used}, skipped ${r.records.skipped}${r.records.skipped ? ` (${reasons(r.records)})` : ''}`);
  lines.push(`samples: ${r.byModality.image} with an image, ${r.byModality.text} text-only`);
  for (const [file, c] of Object.entries(r.byFile)) {
    lines.push(`  ${file}: read ${c.read}, used ${c.used}, skipped ${c.skipped}${c.skipped ? ` (${reasons(c)})` : ''}`);
  }
  lines.push(`images: ${r.images.found} found, ${r.images.missing} missing or empty, ${(r.images.bytes / 2 ** 20).toFixed(1)} MB`);
  if (r.tokens) {
    const t = r.tokens;
    lines.push(`tokens: ${t.total} (per sample min ${t.min}, mean ${t.mean.toFixed(1)}, max ${t.max}); supervised ${(100 * t.supervisedShare).toFixed(1)}%` +
      `${t.lengthMismatch ? `; ${t.lengthMismatch} samples fully masked (length mismatch)` : ''}${t.truncated ? `; ${t.truncated} truncated` : ''}`);
    const peak = Math.max(1, ...Object.values(t.histogram));
    for (const [bound, n] of Object.entries(t.histogram)) {
      const low = Number(bound) === 1 ? 1 : Number(bound) / 2 + 1;
      lines.push(`  ${`${low}–${bound}`.padStart(11)} ${String(n).padStart(7)} ${'█'.repeat(Math.max(1, Math.round((30 * n) / peak)))}`);
    }
  }
  lines.push(`speed: ${r.imagesPerSecond.toFixed(1)} images/s, ${r.megabytesPerSecond.toFixed(2)} MB/s of image files (${r.seconds.toFixed(2)} s)`);
  return lines.join('\n');
}
