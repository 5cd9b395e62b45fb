import type { Provenance } from './text-record.js';

/** One document after `tokenize`: its token ids, still tagged with where it came from. */
export interface TokenizedDoc {
  /** Token ids of the document text, without separator or BOS/EOS (LibMoE adds none). */
  readonly ids: Int32Array;
  readonly domain: string;
  readonly provenance: Provenance;
  /** UTF-16 length of the source text (for characters-per-token and throughput figures). */
  readonly chars: number;
  /** UTF-8 byte length of the source text. */
  readonly bytes: number;
}
