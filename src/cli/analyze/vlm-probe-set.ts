/**
 * The probe set of `pipeline analyze` on a VLM run (docs/analysis.md, "VLM runs"): image-text
 * records, the same at every checkpoint. By default the run's held-out records
 * (`data.heldOut.files`, as the run scored them at its end); with --probe, the LLaVA .json /
 * .jsonl files given. Images are found under the run's llava source's image root, or --images.
 * A record's domain is its file's name (without .json/.jsonl): one domain per probe file, so a
 * probe split into files by category is analysed by category. At most `perDomain` records per
 * domain (first ones in file order). The records go through the run's own operators (the
 * training-only ones left out), as the run's held-out scoring does, into padded batches.
 */
import { basename } from 'node:path';
import type { PipelineConfig } from '../../config/schema.js';
import type { VlmBatch } from '../../models/vlm/index.js';
import { assembleFlow } from '../../ops/flow/assemble.js';
import { SOURCE_ITEMS } from '../../ops/flow/chain.js';
import type { FlowStep } from '../../ops/flow/flow-op.js';
import type { ImageTextBatch } from '../../ops/items/image-text-batch.js';
import { fromArray, llava } from '../../streams/index.js';
import type { ImageTextRecord } from '../../streams/llava/image-text-record.js';
import { bestEncoder } from '../../tokenizer/batch-encoder.js';
import { separatorId, tokenizerFromJson } from '../../tokenizer/tokenizer.js';
import { flowContext, flowSteps } from '../run/data-plan.js';

export interface VlmProbeSetOptions {
  /** LLaVA files (default: data.heldOut.files). */
  readonly files?: readonly string[];
  /** Image root (default: the run's llava source's `images`). */
  readonly images?: string;
  readonly perDomain: number;
  /** Records per probe batch. */
  readonly batchSize: number;
}

export interface VlmProbeSet {
  readonly batches: readonly VlmBatch[];
  /** Per probe row (batch rows over all batches, in order): its domain and whether it has an image. */
  readonly rowDomains: readonly string[];
  readonly rowModalities: readonly ('image' | 'text')[];
  readonly source: string;
  readonly read: number;
  readonly leftOut: number;
  /** Records per domain in the probe. */
  readonly domains: ReadonlyMap<string, number>;
}

/** A probe file's domain: its name without the LLaVA extension. */
export function fileDomain(file: string): string {
  return basename(file).replace(/\.jsonl?$/, '');
}

export async function loadVlmProbeSet(config: PipelineConfig, tokenizerJson: string, o: VlmProbeSetOptions): Promise<VlmProbeSet> {
  const src = (config.data.sources ?? []).find((s) => s.kind === 'llava');
  if (!src) throw new Error('pipeline analyze: this VLM run has no llava source; its probe records need the run\'s operators');
  const files = o.files?.length ? o.files : config.data.heldOut.files ?? [];
  if (files.length === 0) throw new Error('probe set: the run has no held-out records (data.heldOut.files); give --probe FILES (LLaVA .json/.jsonl) and --images DIR');
  const imageRoot = o.images ?? src.images!;
  const source = o.files?.length ? files.join(', ') : 'the run\'s held-out records (data.heldOut.files)';
  const records: ImageTextRecord[] = [];
  const perDomain = new Map<string, number>();
  let read = 0;
  for (const file of files) {
    for await (const r of llava({ files: [file], imageRoot, onError: config.data.onError })()) {
      read++;
      const d = fileDomain(r.provenance.file);
      const n = perDomain.get(d) ?? 0;
      perDomain.set(d, n + 1);
      if (n < o.perDomain) records.push(r);
    }
  }
  if (records.length === 0) throw new Error(`probe set: no records in ${source}`);
  // The run's operators without the training-only ones (shuffle), batch size as asked.
  const c: PipelineConfig = { ...config, data: { ...config.data, batchSize: o.batchSize } };
  const steps: FlowStep[] = [...(src.flow ?? []), ...flowSteps(c.data).filter((s) => s.op !== 'shuffle')];
  const encoder = bestEncoder(tokenizerJson);
  const batches: VlmBatch[] = [];
  const rowDomains: string[] = [];
  const rowModalities: ('image' | 'text')[] = [];
  try {
    const tok = { json: tokenizerJson, separatorId: separatorId(tokenizerFromJson(tokenizerJson)) };
    const stage = assembleFlow<ImageTextBatch>(fromArray(records), steps, flowContext(c, encoder, tok, true), { from: SOURCE_ITEMS.llava })();
    try {
      for await (const b of stage) {
        batches.push(b);
        b.provenance.forEach((p, i) => {
          const file = (p as { file?: unknown }).file;
          if (typeof file !== 'string') throw new Error('probe set: a batch row has no source file (provenance)');
          rowDomains.push(fileDomain(file));
          rowModalities.push(b.modality[i]!);
        });
      }
    } finally {
      await stage.close?.();
    }
  } finally {
    await encoder.close();
  }
  const domains = new Map<string, number>();
  for (const d of rowDomains) domains.set(d, (domains.get(d) ?? 0) + 1);
  return { batches, rowDomains, rowModalities, source, read, leftOut: read - rowDomains.length, domains };
}
