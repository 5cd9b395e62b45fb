import { type Op, type Stage, opState } from '../streams/stage.js';
import type { PackedWindow } from './items/packed-window.js';
import { closeUpstream, opStats } from './support/pulled.js';
import type { TokenBatch } from '../models/train-types.js';

export interface BatchOptions {
  /** Windows per batch. */
  readonly size: number;
  /**
   * When the input ends with fewer than `size` windows: emit them as a smaller batch (default)
   * or drop them (counted in `stats().windowsDropped`).
   */
  readonly dropRemainder?: boolean;
}

/**
 * Groups packed windows into `[size, seqLen + 1]` typed arrays. It reads exactly the windows
 * of the batch it emits, so its state is simply the upstream's.
 */
export function batch(options: BatchOptions): Op<PackedWindow, TokenBatch> {
  const { size } = options;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch: size must be a positive integer, got ${size}`);
  return (upstream, resume) => {
    if (resume !== undefined && resume !== null) throw new Error(`batch: resume state must be null, got ${JSON.stringify(resume)}`);
    let batches = 0;
    let windows = 0;
    let windowsDropped = 0;
    const stage: Stage<TokenBatch> = {
      state: () => opState(null, upstream.state()),
      stats: () => opStats('batch', { batches, windows, windowsDropped }, upstream),
      close: closeUpstream(upstream),
      async *[Symbol.asyncIterator]() {
        let rows: PackedWindow[] = [];
        for await (const window of upstream) {
          rows.push(window);
          if (rows.length === size) {
            batches++;
            windows += rows.length;
            yield assemble(rows);
            rows = [];
          }
        }
        if (rows.length === 0) return;
        if (options.dropRemainder) { windowsDropped += rows.length; return; }
        batches++;
        windows += rows.length;
        yield assemble(rows);
      },
    };
    return stage;
  };
}

function assemble(rows: readonly PackedWindow[]): TokenBatch {
  const cols = rows[0]!.tokens.length;
  const withSegments = rows[0]!.segmentIds !== undefined;
  const tokens = new Int32Array(rows.length * cols);
  const domains = new Uint8Array(rows.length * cols);
  const segmentIds = withSegments ? new Int32Array(rows.length * cols) : undefined;
  const windowIndex = new Int32Array(rows.length);
  // Domain tables only grow, so the longest one names every id in the batch.
  let domainNames = rows[0]!.domainNames;
  rows.forEach((row, r) => {
    if (row.tokens.length !== cols) throw new Error(`batch: window ${row.index} has ${row.tokens.length} tokens, expected ${cols}`);
    if ((row.segmentIds !== undefined) !== withSegments) throw new Error(`batch: window ${row.index} ${withSegments ? 'lacks' : 'has'} segment ids unlike the others`);
    tokens.set(row.tokens, r * cols);
    domains.set(row.domains, r * cols);
    if (segmentIds && row.segmentIds) segmentIds.set(row.segmentIds, r * cols);
    windowIndex[r] = row.index;
    if (row.domainNames.length > domainNames.length) domainNames = row.domainNames;
  });
  return { tokens, batchSize: rows.length, seqLen: cols - 1, domainIds: domains, domains: domainNames, windowIndex, ...(segmentIds ? { segmentIds } : {}) };
}
