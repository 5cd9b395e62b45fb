import type { TokenBatch } from '../models/train-types.js';

/**
 * Where each routed token of a step came from. Routers see the inputs [:, :-1] of every
 * micro-batch in order, so routed token t maps to (micro-batch, row, position); this
 * flattens that map once per step for the per-domain and per-token tables.
 */
export interface TokenIndex {
  readonly count: number;
  /** Index into `domains` per routed token; 255 = unknown (batch without domain ids). */
  readonly domain: Uint8Array;
  readonly domains: readonly string[];
  readonly tokenId: Int32Array;
  /** Row across all micro-batches of the step. */
  readonly sequence: Int32Array;
  readonly position: Int32Array;
}

export const UNKNOWN_DOMAIN = 255;
export const UNKNOWN_DOMAIN_NAME = 'unknown';

export function indexTokens(batches: readonly TokenBatch[]): TokenIndex {
  let count = 0;
  for (const b of batches) count += b.batchSize * b.seqLen;
  const domain = new Uint8Array(count).fill(UNKNOWN_DOMAIN);
  const tokenId = new Int32Array(count);
  const sequence = new Int32Array(count);
  const position = new Int32Array(count);
  const names: string[] = [];
  const nameIndex = new Map<string, number>();
  let t = 0;
  let rowBase = 0;
  for (const b of batches) {
    const w = b.seqLen + 1;
    // Domain indices are per batch; map them onto one list for the step.
    const remap = (b.domains ?? []).map((d) => {
      let k = nameIndex.get(d);
      if (k === undefined) { k = names.length; nameIndex.set(d, k); names.push(d); }
      return k;
    });
    if (names.length >= UNKNOWN_DOMAIN) throw new Error(`more than ${UNKNOWN_DOMAIN - 1} domains in one step`);
    for (let r = 0; r < b.batchSize; r++) {
      for (let p = 0; p < b.seqLen; p++, t++) {
        tokenId[t] = b.tokens[r * w + p]!;
        sequence[t] = rowBase + r;
        position[t] = p;
        if (b.domainIds) {
          const local = b.domainIds[r * w + p]!;
          const g = remap[local];
          if (g === undefined) throw new Error(`batch domain id ${local} has no name (domains has ${remap.length})`);
          domain[t] = g;
        }
      }
    }
    rowBase += b.batchSize;
  }
  return { count, domain, domains: names, tokenId, sequence, position };
}

/** Deterministic per-token sampling: the same (seed, step, token) is kept or not on every run. */
export function sampledToken(seed: number, step: number, token: number, rate: number): boolean {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  let h = (seed ^ Math.imul(step + 1, 0x9e3779b1) ^ Math.imul(token + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h / 4294967296 < rate;
}
