/** `pipeline inspect`'s report: one JSON object (fields: docs/operators.md) or the same as text. */
import type { Json } from '../../base/json.js';
import type { InspectReport } from './flow.js';
import type { InspectOptions } from './options.js';

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** `tokenizer` null: no tokens were made, so every token figure is null (not 0, which would be a measurement). */
export function toJson(report: InspectReport, opts: InspectOptions, tokenizer: { [key: string]: Json } | null): { [key: string]: Json } {
  const tokenized = tokenizer !== null;
  const source = report.source as { [key: string]: Json };
  const byFile = (source['byFile'] ?? {}) as { [file: string]: Json };
  const files: { [file: string]: Json } = {};
  for (const [file, counts] of Object.entries(byFile)) {
    const text = report.byFile[file] ?? { docs: 0, chars: 0, bytes: 0, tokens: 0 };
    files[file] = { ...(counts as { [key: string]: Json }), ...text, tokens: tokenized ? text.tokens : null };
  }
  const domains: { [domain: string]: Json } = {};
  for (const [domain, c] of Object.entries(report.byDomain)) {
    domains[domain] = { ...c, tokens: tokenized ? c.tokens : null, charsPerToken: !tokenized || c.tokens === 0 ? null : round(c.chars / c.tokens, 3) };
  }
  const p = (report.pack ?? {}) as { [key: string]: number };
  return {
    ok: true,
    onError: opts.onError,
    tokenizer,
    records: {
      read: source['read'] ?? 0, used: source['used'] ?? 0, skipped: source['skipped'] ?? 0,
      skippedByReason: source['skippedByReason'] ?? {}, blankLines: source['blankLines'] ?? 0,
    },
    totals: { ...report.totals, tokens: tokenized ? report.totals.tokens : null },
    files,
    domains,
    pack: !report.pack ? null : {
      seqLen: opts.seqLen, windows: p['windows'] ?? 0, tokensIn: p['tokensIn'] ?? 0, separators: p['separators'] ?? 0,
      tokensPacked: p['tokensPacked'] ?? 0, tokensDropped: p['tokensDropped'] ?? 0, paddingTokens: p['paddingTokens'] ?? 0,
      efficiency: round(p['efficiency'] ?? 0, 6),
    },
    throughput: {
      seconds: round(report.seconds, 3),
      textMBps: round(report.totals.bytes / 1e6 / report.seconds, 2),
      tokensPerSecond: tokenized ? Math.round(report.totals.tokens / report.seconds) : null,
      cpuCores: round(report.cpuSeconds / report.seconds, 2),
    },
  };
}

export function renderText(report: InspectReport, opts: InspectOptions, tokenizer: { [key: string]: Json } | null): string {
  const j = toJson(report, opts, tokenizer) as { [key: string]: { [key: string]: Json } };
  const lines: string[] = [];
  const r = j['records']!;
  lines.push(`records: ${r['read']} read, ${r['used']} used, ${r['skipped']} skipped, ${r['blankLines']} blank lines (on-error ${opts.onError})`);
  const reasons = Object.entries(r['skippedByReason'] as { [k: string]: number });
  if (reasons.length > 0) lines.push(`skipped by reason: ${reasons.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  const t = tokenizer;
  lines.push(t === null
    ? 'tokenizer: none (records and text only; give --tokenizer FILE or --train-tokenizer VOCAB for tokens and packing)'
    : `tokenizer: ${t['trained'] ? `trained BPE (${t['trainSeconds']} s on ${t['sampleDocs']} docs)` : t['path']}, vocab ${t['vocabSize']}, separator ${t['separator']} (id ${t['separatorId']}), encoder ${t['encoder']}`);
  const tokenColumns = t === null ? [] : ['tokens'];
  lines.push('', table(['file', 'read', 'used', 'skipped', 'chars', 'bytes', ...tokenColumns], Object.entries(j['files']!).map(([file, c]) => {
    const x = c as { [k: string]: number };
    return [file, x['read'], x['used'], x['skipped'], x['chars'], x['bytes'], ...(t === null ? [] : [x['tokens']])];
  })));
  lines.push('', table(['domain', 'docs', 'chars', 'bytes', ...(t === null ? [] : ['tokens', 'chars/token'])], Object.entries(j['domains']!).map(([domain, c]) => {
    const x = c as { [k: string]: number };
    return [domain, x['docs'], x['chars'], x['bytes'], ...(t === null ? [] : [x['tokens'], x['charsPerToken']])];
  })));
  const p = j['pack'];
  if (p) lines.push('', `packing: seq-len ${p['seqLen']}, ${p['windows']} windows of ${Number(p['seqLen']) + 1} tokens, ${p['tokensIn']} tokens in (incl. ${p['separators']} separators), ${p['tokensPacked']} packed, ${p['tokensDropped']} dropped at the end, no padding, efficiency ${p['efficiency']}`);
  const th = j['throughput']!;
  lines.push(`throughput: ${th['textMBps']} MB/s of text${t === null ? '' : `, ${th['tokensPerSecond']} tokens/s`}, ${th['cpuCores']} cores busy, ${th['seconds']} s`);
  return `${lines.join('\n')}\n`;
}

function table(header: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [header, ...rows.map((row) => row.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}
