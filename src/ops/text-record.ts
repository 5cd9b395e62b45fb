/**
 * A document as the text sources deliver it. Structural: any source whose records have these
 * fields (and maybe more) plugs into `tokenize`.
 */
export interface Provenance {
  /** The shard the document came from (as the source names it). */
  readonly file: string;
  /** 1-based line number in the decoded shard (or record number for non-line sources). */
  readonly line: number;
}

export interface TextRecord {
  readonly text: string;
  /** SlimPajama's `meta.redpajama_set_name`, e.g. `RedPajamaC4`. */
  readonly domain: string;
  readonly provenance: Provenance;
}
