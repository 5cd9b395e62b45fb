import type { EventSink } from '../events/event-plane.js';
import type { RunEvent, StepEvent } from '../events/step-event.js';
import { prepareTable, type PreparedTable } from './part-files.js';
import { RollingTableSink, type FlushPolicy } from './rolling-table-sink.js';
import {
  DOMAINS, EVAL, EXPERTS, TOKENS, domainRows, evalRow, expertRows, layerRow, layersSpec, metricRow, metricsSpec, sampledTokens, tokenRows,
} from './stats-tables.js';
import type { Row, TableSpec } from './table-spec.js';
import { DATA, dataRows } from './tables/data.js';
import { indexTokens } from './token-index.js';

export interface RunStatsSinkOptions {
  readonly runDir: string;
  readonly flush: FlushPolicy;
  /** Fraction of routed tokens written to routing/tokens (0 = table off). */
  readonly tokenSampleRate: number;
  /** Seed of the token sampling (same seed → same tokens). */
  readonly seed: number;
  readonly arrowStream: boolean;
  /** Resuming from checkpoint step N: rows after N already on disk are removed first. */
  readonly resumeFromStep?: number;
  /** Crash-test hook, passed to every table. */
  readonly beforeRename?: () => void;
  readonly now?: () => number;
}

const TABLE_PATHS = ['metrics', 'eval', EXPERTS.path, 'routing/layers', DOMAINS.path, TOKENS.path, DATA.path] as const;

/**
 * The run's statistics sink: turns step and eval events into rows of its tables (metrics, eval, routing/*, data) and
 * writes them as rolling Parquet parts. Tables whose columns depend on the router (the
 * aux-loss columns of `metrics` and `routing/layers`) take their layout from the first step.
 */
export class RunStatsSink implements EventSink {
  readonly name = 'parquet statistics';
  private readonly tables = new Map<string, RollingTableSink>();
  private metricAux?: readonly string[];
  /** Last step written (the checkpoint step on resume): steps must increase from there. */
  private lastStep: number;
  private layerAux?: readonly string[];

  private constructor(private readonly opts: RunStatsSinkOptions, private readonly prepared: ReadonlyMap<string, PreparedTable>) {
    this.lastStep = opts.resumeFromStep ?? 0;
  }

  static async open(opts: RunStatsSinkOptions): Promise<RunStatsSink> {
    const prepared = new Map<string, PreparedTable>();
    for (const p of TABLE_PATHS) {
      prepared.set(p, await prepareTable(opts.runDir, p, { dropAfterStep: opts.resumeFromStep, arrowStream: opts.arrowStream }));
    }
    return new RunStatsSink(opts, prepared);
  }

  private table(spec: TableSpec): RollingTableSink {
    let t = this.tables.get(spec.path);
    if (!t) {
      t = new RollingTableSink({
        runDir: this.opts.runDir, spec, flush: this.opts.flush, arrowStream: this.opts.arrowStream,
        prepared: this.prepared.get(spec.path)!, beforeRename: this.opts.beforeRename, now: this.opts.now,
      });
      this.tables.set(spec.path, t);
    }
    return t;
  }

  private appendAll(spec: TableSpec, rows: readonly Row[]): void {
    if (rows.length === 0) return;
    const t = this.table(spec);
    for (const r of rows) t.append(r);
  }

  consume(ev: RunEvent): void {
    if (ev.kind === 'step') this.consumeStep(ev);
    else if (ev.kind === 'eval') this.appendAll(EVAL, [evalRow(ev)]);
    else void this.flush().catch(() => undefined); // checkpoint: make rows durable; errors surface in idle()
  }

  private consumeStep(ev: StepEvent): void {
    const r = ev.result;
    // Catches off-by-one drivers (0-based steps) and repeated steps, which would break resume.
    if (!(Number.isInteger(r.step) && r.step > this.lastStep)) {
      throw new Error(`step ${r.step} after step ${this.lastStep}: step numbers must increase and are 1-based (steps completed; checkpoint N is followed by step N + 1)`);
    }
    this.lastStep = r.step;
    this.metricAux ??= Object.keys(r.aux).sort();
    this.layerAux ??= [...new Set(r.routing.flatMap((l) => Object.keys(l.aux)))].sort();
    checkKnown('metrics', Object.keys(r.aux), this.metricAux);
    const { runId } = ev;
    this.appendAll(metricsSpec(this.metricAux), [metricRow(ev, this.metricAux)]);
    this.appendAll(DATA, dataRows(ev));
    // Domain and token tables need the step's batches; without them they would silently stay empty.
    if (r.routing.length > 0 && ev.batches.length === 0) throw new Error(`step ${r.step}: StepEvent.batches is empty, but the domain and token tables need the step's token batches`);
    const idx = ev.batches.length > 0 ? indexTokens(ev.batches) : undefined;
    const sampled = idx && this.opts.tokenSampleRate > 0 ? sampledTokens(this.opts.seed, r.step, idx.count, this.opts.tokenSampleRate) : undefined;
    const layers = layersSpec(this.layerAux);
    for (let i = 0; i < r.routing.length; i++) {
      const s = r.routing[i]!;
      checkKnown(`routing/layers (layer ${s.layer})`, Object.keys(s.aux), this.layerAux);
      this.appendAll(EXPERTS, expertRows(runId, r.step, s));
      this.appendAll(layers, [layerRow(runId, r.step, s, i > 0 ? r.routing[i - 1] : undefined, this.layerAux)]);
      if (idx) {
        this.appendAll(DOMAINS, domainRows(runId, r.step, s, idx));
        if (sampled) this.appendAll(TOKENS, tokenRows(runId, r.step, s, idx, sampled));
      }
    }
  }

  async idle(): Promise<void> {
    await Promise.all([...this.tables.values()].map((t) => t.idle()));
  }

  async flush(): Promise<void> {
    await Promise.all([...this.tables.values()].map((t) => t.flush()));
  }

  async close(): Promise<void> {
    await Promise.all([...this.tables.values()].map((t) => t.close()));
  }

  /** Rows and parts written per table so far (for the run summary). */
  written(): Record<string, { rows: number; parts: number }> {
    return Object.fromEntries([...this.tables].map(([k, t]) => [k, { rows: t.rowsWritten, parts: t.partsWritten }]));
  }
}

/** The aux columns are fixed by the first step; a new name later would be silently lost, so it is an error. */
function checkKnown(where: string, names: readonly string[], known: readonly string[]): void {
  for (const n of names) {
    if (!known.includes(n)) throw new Error(`${where}: aux loss "${n}" appeared after the first step (columns are fixed at the first step: ${known.join(', ') || 'none'})`);
  }
}
