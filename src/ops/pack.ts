import { type Json, type Op, type Stage, type StageState, opState } from '../streams/stage.js';
import { DomainTable } from './support/domain-table.js';
import type { PackedWindow } from './items/packed-window.js';
import { closeUpstream, opStats } from './support/pulled.js';
import type { TokenizedDoc } from './items/tokenized-doc.js';

export interface PackOptions {
  /** Model context: windows hold `seqLen + 1` tokens (input + one target shift). LibMoE: 1024. */
  readonly seqLen: number;
  /** Appended after every document (LibMoE: `<STORY_SEP>`). */
  readonly separatorId: number;
  /** Also emit per-token document indices within the window (for attention masking). */
  readonly segmentIds?: boolean;
  /** Domain names to number first, so ids are the same in every run (others are appended as seen). */
  readonly domains?: readonly string[];
}

export interface PackStats {
  docs: number;
  /** Tokens entering the packer: document tokens + one separator per document. */
  tokensIn: number;
  separators: number;
  windows: number;
  /** Stream tokens advanced past by emitted windows: `windows × seqLen`. */
  tokensPacked: number;
  /** Tokens waiting for the next window. */
  tokensCarried: number;
  /** Tokens left over when the input ended (fewer than `seqLen + 1`; LibMoE drops them too). */
  tokensDropped: number;
  /** Never any: windows are cut from one continuous stream. */
  paddingTokens: number;
  /** `tokensPacked / tokensIn`. */
  efficiency: number;
  [key: string]: number;
}

/** The pack's own part of a saved state. */
interface PackLocal {
  /** Tokens of the first buffered document (ids + separator) already behind the next window start. */
  skip: number;
  /** Index of the next window. */
  window: number;
  domains: string[];
}

/** A document in the carry-over buffer, with how to read it again. */
interface Segment {
  readonly ids: Int32Array;
  /** ids + the separator. */
  readonly length: number;
  readonly domain: number;
  /** Upstream state just before this document was read: resuming there re-reads it. */
  readonly before: StageState;
}

/**
 * LibMoE's packing: every document followed by the separator, all concatenated into one
 * stream; window i is stream tokens `[i·seqLen, i·seqLen + seqLen + 1)`. Consecutive windows
 * share one token (the last target of a window is the first input of the next, `n_extra = 1`
 * in LibMoE), there is no padding, windows cross document boundaries, and a tail shorter than
 * `seqLen + 1` at the end of the input is dropped (counted in `stats().tokensDropped`).
 *
 * State: instead of the carried tokens themselves, the upstream position before the first
 * carried document plus how many of its tokens are already behind; resuming re-reads (and
 * re-tokenizes) those few documents, so the state stays small whatever the document length.
 */
export function pack(options: PackOptions): Op<TokenizedDoc, PackedWindow> {
  const { seqLen, separatorId } = options;
  if (!Number.isInteger(seqLen) || seqLen < 1) throw new RangeError(`pack: seqLen must be a positive integer, got ${seqLen}`);
  if (!Number.isInteger(separatorId) || separatorId < 0) throw new RangeError(`pack: separatorId must be a non-negative integer, got ${separatorId}`);
  const width = seqLen + 1;
  return (upstream, resume) => {
    const local = parseLocal(resume);
    const table = new DomainTable(local?.domains ?? options.domains ?? []);
    for (const name of options.domains ?? []) table.id(name);
    let nextWindow = local?.window ?? 0;
    /** Documents holding the tokens not yet behind the next window start. */
    const segments: Segment[] = [];
    /** Offset of the next window start inside `segments[0]`. */
    let head = local?.skip ?? 0;
    let pendingSkip = head;
    /** Tokens in `segments` from `head` on. */
    let available = 0;
    let before: StageState = upstream.state();
    const counts: PackStats = {
      docs: 0, tokensIn: 0, separators: 0, windows: 0, tokensPacked: 0,
      tokensCarried: 0, tokensDropped: 0, paddingTokens: 0, efficiency: 0,
    };

    const localState = (): Json => ({ skip: head, window: nextWindow, domains: [...table.list()] });

    const cut = (): PackedWindow => {
      const tokens = new Int32Array(width);
      const domains = new Uint8Array(width);
      const segmentIds = options.segmentIds ? new Int32Array(width) : undefined;
      let filled = 0;
      let offset = head;
      for (let s = 0; filled < width; s++) {
        const seg = segments[s]!;
        const take = Math.min(seg.length - offset, width - filled);
        const fromIds = Math.min(take, seg.ids.length - offset);
        if (fromIds > 0) tokens.set(seg.ids.subarray(offset, offset + fromIds), filled);
        if (fromIds < take) tokens[filled + take - 1] = separatorId; // the segment's last token
        domains.fill(seg.domain, filled, filled + take);
        segmentIds?.fill(s, filled, filled + take);
        filled += take;
        offset = 0;
      }
      // Advance by seqLen, not seqLen + 1: the last token starts the next window.
      head += seqLen;
      available -= seqLen;
      while (segments.length > 0 && head >= segments[0]!.length) {
        head -= segments[0]!.length;
        segments.shift();
      }
      const window: PackedWindow = {
        tokens, domains, domainNames: table.list(), index: nextWindow,
        ...(segmentIds ? { segmentIds } : {}),
      };
      nextWindow++;
      counts.windows++;
      counts.tokensPacked += seqLen;
      return window;
    };

    const stage: Stage<PackedWindow> = {
      state: () => {
        // No document buffered yet: nothing has been read since the stage was built.
        return opState(localState(), segments.length === 0 ? before : segments[0]!.before);
      },
      stats: () => {
        counts.tokensCarried = available;
        counts.efficiency = counts.tokensIn === 0 ? 0 : counts.tokensPacked / counts.tokensIn;
        return opStats('pack', { ...counts }, upstream);
      },
      close: closeUpstream(upstream),
      async *[Symbol.asyncIterator]() {
        for await (const doc of upstream) {
          const length = doc.ids.length + 1;
          const segment: Segment = { ids: doc.ids, length, domain: table.id(doc.domain), before };
          before = upstream.state();
          segments.push(segment);
          counts.docs++;
          counts.separators++;
          if (pendingSkip > 0) {
            // Resuming: this document's first `skip` tokens were packed before the checkpoint.
            if (pendingSkip >= length) {
              throw new Error(`pack: resume state skips ${pendingSkip} tokens but the document at ${doc.provenance.file}:${doc.provenance.line} has ${length}; the input changed since the checkpoint`);
            }
            available += length - pendingSkip;
            counts.tokensIn += length - pendingSkip;
            pendingSkip = 0;
          } else {
            available += length;
            counts.tokensIn += length;
          }
          while (available >= width) yield cut();
        }
        counts.tokensDropped += available;
        available = 0;
      },
    };
    return stage;
  };
}

function parseLocal(resume: Json | undefined): PackLocal | undefined {
  if (resume === undefined) return undefined;
  const r = resume as Partial<PackLocal> | null;
  if (r === null || typeof r !== 'object' || typeof r.skip !== 'number' || typeof r.window !== 'number' || !Array.isArray(r.domains)) {
    throw new Error(`pack: resume state must be {skip, window, domains}, got ${JSON.stringify(resume).slice(0, 120)}`);
  }
  return { skip: r.skip, window: r.window, domains: r.domains };
}
