import type { EventSink } from '../events/event-plane.js';
import type { RunEvent, StepEvent } from '../events/step-event.js';
import { encodeParquet } from './parquet-encode.js';
import { prepareTable, type PreparedTable } from './part-files.js';
import { commitPartGroup, recoverPartGroup } from './part-group-commit.js';
import { RollingTableSink, type FlushPolicy, type StagedPart } from './rolling-table-sink.js';
import { allTableSpecs } from './tables/all-tables.js';
import { DATA, dataRows } from './tables/data.js';
import { evalRows, evalTable } from './tables/eval.js';
import { metricsRows, metricsTable, type MetricsSource } from './tables/metrics.js';
import { domainRows, domainsTable } from './tables/routing-domains.js';
import { expertRows, expertsTable } from './tables/routing-experts.js';
import { layerRows, layersTable, type LayerSource } from './tables/routing-layers.js';
import { sampledTokens, tokenRows, tokensTable } from './tables/routing-tokens.js';
import type { StatsTable } from './tables/stats-table.js';
import { componentOf } from './tables/key-columns.js';
import type { LayerRoutingStats } from '../models/train-types.js';
import type { Row, TableSpec } from './table-spec.js';
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
  /** Crash-test hook: runs after each part's temp file is written, before its group is committed. */
  readonly beforeRename?: () => void;
  readonly now?: () => number;
}

/** Every table the sink may write (all are prepared on open, also those this run leaves empty). */
const TABLE_PATHS = allTableSpecs().map((s) => s.path);

/**
 * The run's statistics sink: turns step and eval events into rows of its tables (metrics, eval, routing/*, data) and
 * writes them as rolling Parquet parts. Tables whose columns depend on the router (the
 * aux-loss columns of `metrics` and `routing/layers`) take their layout from the first step.
 *
 * Flushes happen only between steps and take every table's rows together, committed as
 * one group (`commitPartGroup`): a reader, or a run killed at any moment, sees each step in
 * all of its tables or in none.
 */
export class RunStatsSink implements EventSink {
  readonly name = 'parquet statistics';
  private readonly tables = new Map<string, RollingTableSink>();
  /** Last step written (the checkpoint step on resume): steps must increase from there. */
  private lastStep: number;
  private metrics?: StatsTable<MetricsSource>;
  private layers?: StatsTable<LayerSource>;
  private layerAux?: readonly string[];
  private metricAux?: readonly string[];
  private readonly now: () => number;
  private lastFlush: number;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;

  private constructor(private readonly opts: RunStatsSinkOptions, private readonly prepared: ReadonlyMap<string, PreparedTable>) {
    this.lastStep = opts.resumeFromStep ?? 0;
    this.now = opts.now ?? Date.now;
    this.lastFlush = this.now();
  }

  static async open(opts: RunStatsSinkOptions): Promise<RunStatsSink> {
    // Before temp files are cleaned: a group killed after its commit point is completed.
    await recoverPartGroup(opts.runDir);
    const prepared = new Map<string, PreparedTable>();
    for (const p of TABLE_PATHS) {
      prepared.set(p, await prepareTable(opts.runDir, p, { dropAfterStep: opts.resumeFromStep, arrowStream: opts.arrowStream }));
    }
    return new RunStatsSink(opts, prepared);
  }

  private table(spec: TableSpec): RollingTableSink {
    let t = this.tables.get(spec.path);
    if (!t) {
      t = new RollingTableSink({ runDir: this.opts.runDir, spec, arrowStream: this.opts.arrowStream, prepared: this.prepared.get(spec.path)! });
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
    if (this.failure) throw this.failure;
    if (ev.kind === 'step') {
      this.consumeStep(ev);
      this.flushIfDue();
    } else if (ev.kind === 'eval') this.appendAll(evalTable.spec, evalRows(ev));
    else void this.flush().catch(() => undefined); // checkpoint: make rows durable; errors surface in idle()
  }

  /** The flush policy, applied at a step boundary only: a part never ends inside a step. */
  private flushIfDue(): void {
    const { everyRows, everySeconds } = this.opts.flush;
    const full = [...this.tables.values()].some((t) => t.bufferedRows >= everyRows);
    const due = everySeconds > 0 && this.now() - this.lastFlush >= everySeconds * 1000;
    if (full || due) void this.flush().catch(() => undefined);
  }

  private consumeStep(ev: StepEvent): void {
    const r = ev.result;
    // Catches off-by-one drivers (0-based steps) and repeated steps, which would break resume.
    if (!(Number.isInteger(r.step) && r.step > this.lastStep)) {
      throw new Error(`step ${r.step} after step ${this.lastStep}: step numbers must increase and are 1-based (steps completed; checkpoint N is followed by step N + 1)`);
    }
    this.metricAux ??= Object.keys(r.aux).sort();
    this.layerAux ??= [...new Set(r.routing.flatMap((l) => Object.keys(l.aux)))].sort();
    this.metrics ??= metricsTable(this.metricAux);
    this.layers ??= layersTable(this.layerAux);
    checkKnown('metrics', Object.keys(r.aux), this.metricAux);
    const { runId } = ev;
    // The step's rows are all built before any is appended: an error part-way through a step
    // (a bad batch) must not leave the first layers' rows buffered, to be flushed as a partial step.
    const out: [TableSpec, Row[]][] = [[this.metrics.spec, metricsRows(this.metrics, ev)], [DATA, dataRows(ev)]];
    // Domain and token tables need the step's batches; without them they would silently stay empty.
    if (r.routing.length > 0 && ev.batches.length === 0 && !ev.imageText) throw new Error(`step ${r.step}: StepEvent.batches is empty, but the domain and token tables need the step's token batches`);
    const idx = ev.batches.length > 0 ? indexTokens(ev.batches) : undefined;
    const sampled = idx && this.opts.tokenSampleRate > 0 ? sampledTokens(this.opts.seed, r.step, idx.count, this.opts.tokenSampleRate) : undefined;
    for (let i = 0; i < r.routing.length; i++) {
      const s = r.routing[i]!;
      checkKnown(`routing/layers (layer ${s.layer})`, Object.keys(s.aux), this.layerAux);
      out.push([expertsTable.spec, expertRows(runId, r.step, s)]);
      out.push([this.layers.spec, layerRows(this.layers, runId, r.step, s, previousLayer(r.routing, i))]);
      if (idx) {
        out.push([domainsTable.spec, domainRows(runId, r.step, s, idx)]);
        if (sampled) out.push([tokensTable.spec, tokenRows(runId, r.step, s, idx, sampled)]);
      }
    }
    for (const [spec, rows] of out) this.appendAll(spec, rows);
    this.lastStep = r.step;
  }

  /** Resolves when no flush is running; rejects with a flush's error. */
  async idle(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure;
  }

  /** Write what every table buffered as one group of parts (nothing when all are empty). */
  flush(): Promise<void> {
    this.lastFlush = this.now();
    if (this.failure) return this.idle();
    const staged = [...this.tables.values()].map((t) => t.take()).filter((p): p is StagedPart => p !== undefined);
    if (staged.length === 0) return this.idle();
    this.chain = this.chain.then(async () => {
      if (this.failure) return;
      try {
        await commitPartGroup(this.opts.runDir, staged.map((p) => ({ path: p.path, bytes: encodeParquet(p.batch) })), this.opts.beforeRename);
        for (const p of staged) await p.table.committed(p);
      } catch (e) {
        const names = staged.map((p) => p.path.slice(this.opts.runDir.length + 1)).join(', ');
        this.failure = new Error(`writing parts ${names} failed: ${(e as Error).message}`, { cause: e });
      }
    });
    return this.idle();
  }

  async close(): Promise<void> {
    await this.flush();
    await Promise.all([...this.tables.values()].map((t) => t.close()));
  }

  /** Rows and parts written per table so far (for the run summary). */
  written(): Record<string, { rows: number; parts: number }> {
    return Object.fromEntries([...this.tables].map(([k, t]) => [k, { rows: t.rowsWritten, parts: t.partsWritten }]));
  }
}

/**
 * The MoE layer before entry i that routed the same tokens (for overlap_prev): the previous
 * entry of the same kind of component (vision layer, decoder layer) and modality; none for the
 * projector or the first layer of a kind. In a language-model run: the previous entry.
 */
function previousLayer(routing: readonly LayerRoutingStats[], i: number): LayerRoutingStats | undefined {
  const kind = (s: LayerRoutingStats) => `${componentOf(s).replace(/ \d+$/, '')}/${s.modality ?? 'text'}`;
  const k = kind(routing[i]!);
  for (let j = i - 1; j >= 0; j--) if (kind(routing[j]!) === k) return k.startsWith('projector/') ? undefined : routing[j];
  return undefined;
}

/** The aux columns are fixed by the first step; a new name later would be silently lost, so it is an error. */
function checkKnown(where: string, names: readonly string[], known: readonly string[]): void {
  for (const n of names) {
    if (!known.includes(n)) throw new Error(`${where}: aux loss "${n}" appeared after the first step (columns are fixed at the first step: ${known.join(', ') || 'none'})`);
  }
}
