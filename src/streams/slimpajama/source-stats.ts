import type { StageStats } from '../stage.js';
import type { SkipReason } from './parse-record.js';

/** Counts for one file, or for all files. Always `read === used + skipped`. */
export interface ReadCounts<R extends string = SkipReason> {
  read: number;
  used: number;
  skipped: number;
  skippedByReason: Partial<Record<R, number>>;
  /** Whitespace-only lines: neither records nor errors, so outside `read`. */
  blankLines: number;
}

function emptyCounts<R extends string>(): ReadCounts<R> {
  return { read: 0, used: 0, skipped: 0, skippedByReason: {}, blankLines: 0 };
}

/**
 * What one consumer's source read, used and skipped: in total, per file, per skip reason and per
 * domain. Each slot is counted by the one consumer that owns it, so the counts of all ranks and
 * workers add up to the whole data set. Counts cover this stage's lifetime (not carried in state).
 * `R` names the skip reasons (the LLaVA source has its own; its "domain" is the modality).
 */
export class SourceStats<R extends string = SkipReason> {
  readonly total = emptyCounts<R>();
  readonly byFile = new Map<string, ReadCounts<R>>();
  readonly usedByDomain = new Map<string, number>();

  used(file: string, domain: string): void {
    const f = this.file(file);
    f.read++; f.used++;
    this.total.read++; this.total.used++;
    this.usedByDomain.set(domain, (this.usedByDomain.get(domain) ?? 0) + 1);
  }

  skipped(file: string, reason: R): void {
    for (const c of [this.file(file), this.total]) {
      c.read++; c.skipped++;
      c.skippedByReason[reason] = (c.skippedByReason[reason] ?? 0) + 1;
    }
  }

  blank(file: string): void {
    this.file(file).blankLines++;
    this.total.blankLines++;
  }

  toJson(): StageStats {
    const byFile: StageStats = {};
    for (const [file, counts] of this.byFile) byFile[file] = { ...counts, skippedByReason: { ...counts.skippedByReason } as Record<string, number> };
    return {
      ...this.total,
      skippedByReason: { ...this.total.skippedByReason } as Record<string, number>,
      usedByDomain: Object.fromEntries(this.usedByDomain),
      byFile,
    };
  }

  private file(file: string): ReadCounts<R> {
    let counts = this.byFile.get(file);
    if (!counts) this.byFile.set(file, (counts = emptyCounts<R>()));
    return counts;
  }
}
