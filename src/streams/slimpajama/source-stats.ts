import type { Counts } from '../carried-counts.js';
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
 * The counts a source carries in its state (`counts`, see ../carried-counts.ts), so they survive
 * a resume: totals, skips per reason, documents per domain and skips per file and reason.
 * Per-file `used` counts are left out to keep the state small (a run may touch 60k files).
 */
export interface CarriedSourceCounts extends Counts {
  read: number;
  used: number;
  skipped: number;
  blankLines: number;
  skippedByReason: { [reason: string]: number };
  usedByDomain: { [domain: string]: number };
  skippedByFile: { [file: string]: { [reason: string]: number } };
}

/**
 * What one consumer's source read, used and skipped: in total, per file, per skip reason and per
 * domain. Each slot is counted by the one consumer that owns it, so the counts of all ranks and
 * workers add up to the whole data set. Totals, per-domain counts and skips per file and reason
 * are carried in the state (`carried()`, `restore`); `byFile` covers this stage's own lifetime
 * (a resumed stage starts it afresh). `R` names the skip reasons (the LLaVA source has its own;
 * its "domain" is the modality).
 */
export class SourceStats<R extends string = SkipReason> {
  readonly total = emptyCounts<R>();
  readonly byFile = new Map<string, ReadCounts<R>>();
  readonly usedByDomain = new Map<string, number>();
  /** Skips per file and reason over the whole run (restored on resume). */
  private readonly skips = new Map<string, Map<string, number>>();
  /** `skips` as JSON, rebuilt only after a skip: `carried()` runs once per item. */
  private skipsJson: CarriedSourceCounts['skippedByFile'] | undefined = {};

  /** Continue from counts saved in a state (absent in states saved before counts were carried). */
  restore(saved: Partial<CarriedSourceCounts> | undefined): void {
    if (!saved) return;
    this.total.read = saved.read ?? 0;
    this.total.used = saved.used ?? 0;
    this.total.skipped = saved.skipped ?? 0;
    this.total.blankLines = saved.blankLines ?? 0;
    this.total.skippedByReason = { ...(saved.skippedByReason ?? {}) } as ReadCounts<R>['skippedByReason'];
    for (const [d, n] of Object.entries(saved.usedByDomain ?? {})) this.usedByDomain.set(d, n);
    for (const [f, reasons] of Object.entries(saved.skippedByFile ?? {})) this.skips.set(f, new Map(Object.entries(reasons)));
    this.skipsJson = undefined;
  }

  /** The counts to carry in the state (cheap: called for every item read). */
  carried(): CarriedSourceCounts {
    if (this.skipsJson === undefined) {
      this.skipsJson = {};
      for (const [f, reasons] of this.skips) this.skipsJson[f] = Object.fromEntries(reasons);
    }
    const t = this.total;
    return {
      read: t.read, used: t.used, skipped: t.skipped, blankLines: t.blankLines,
      skippedByReason: { ...t.skippedByReason } as { [reason: string]: number },
      usedByDomain: Object.fromEntries(this.usedByDomain),
      skippedByFile: this.skipsJson,
    };
  }

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
    let reasons = this.skips.get(file);
    if (!reasons) this.skips.set(file, (reasons = new Map()));
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    this.skipsJson = undefined;
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
      skippedByFile: this.carried().skippedByFile,
      byFile,
    };
  }

  private file(file: string): ReadCounts<R> {
    let counts = this.byFile.get(file);
    if (!counts) this.byFile.set(file, (counts = emptyCounts<R>()));
    return counts;
  }
}
