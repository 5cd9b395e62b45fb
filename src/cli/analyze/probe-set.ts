/**
 * The probe set of `pipeline analyze`: documents by domain, the same at every checkpoint. By
 * default the run's own held-out documents (data.heldOut: never trained on); with --probe, the
 * SlimPajama files given. At most `docsPerDomain` documents per domain are kept (first ones in
 * file order) and each is cut to `maxTokens` tokens, so probe passes stay affordable. Every
 * document read is counted as used or left out (per domain cap), none silently.
 */
import type { PipelineConfig } from '../../config/schema.js';
import { slimPajama, type TextRecord } from '../../streams/slimpajama/slimpajama.js';
import { encodeTexts, type Tokenizer } from '../../tokenizer/tokenizer.js';
import { heldOutDocuments } from '../run/data-plan.js';

export interface ProbeSet {
  readonly documents: readonly Int32Array[];
  readonly domains: readonly string[];
  readonly source: string;
  readonly read: number;
  /** Documents beyond the per-domain cap, and empty ones after tokenisation. */
  readonly leftOut: number;
}

export interface ProbeSetOptions {
  readonly files?: readonly string[];
  readonly docsPerDomain: number;
  readonly maxTokens: number;
}

/** The probe documents as text, before any tokenizer: the same for every run of a comparison. */
export interface ProbeRecords {
  readonly records: readonly TextRecord[];
  readonly source: string;
}

/** Reads the probe documents: `files` (SlimPajama), else the run's held-out documents (`runName` names whose, in messages). */
export async function loadProbeRecords(config: PipelineConfig, files: readonly string[] | undefined, runName = 'the run'): Promise<ProbeRecords> {
  let records: TextRecord[];
  let source: string;
  if (files?.length) {
    records = [];
    for await (const r of slimPajama({ files, onError: 'fail', shuffleFiles: false })()) records.push(r);
    source = files.join(', ');
  } else {
    records = await heldOutDocuments(config);
    source = `${runName === 'the run' ? 'the run\'s' : `${runName}'s`} held-out documents (data.heldOut)`;
  }
  if (records.length === 0) throw new Error(`probe set: no documents in ${source}${files?.length ? '' : '; give --probe FILES or set data.heldOut in the pipeline'}`);
  return { records, source };
}

export async function loadProbeSet(config: PipelineConfig, tokenizer: Tokenizer, o: ProbeSetOptions, given?: ProbeRecords): Promise<ProbeSet> {
  const { records, source } = given ?? await loadProbeRecords(config, o.files);
  const perDomain = new Map<string, number>();
  const kept = records.filter((r) => {
    const n = perDomain.get(r.domain) ?? 0;
    perDomain.set(r.domain, n + 1);
    return n < o.docsPerDomain;
  });
  const ids = await encodeTexts(tokenizer, kept.map((r) => r.text));
  const documents: Int32Array[] = [];
  const domains: string[] = [];
  ids.forEach((d, i) => {
    if (d.length === 0) return;
    documents.push(d.subarray(0, o.maxTokens));
    domains.push(kept[i]!.domain);
  });
  return { documents, domains, source, read: records.length, leftOut: records.length - documents.length };
}
