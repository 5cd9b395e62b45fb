/**
 * `pipeline eval --routing`: one sequence per forward, so each MoE layer's statistics belong to
 * exactly one (item, option); the records come back in request order, which is item order then
 * option order (scoreItems with order: 'items'), and become eval/routing rows (and eval/routes rows for a
 * sampled subset of items).
 */
import { createHash } from 'node:crypto';
import type { EvalItem } from '../../eval/items.js';
import type { ContinuationRequest, ContinuationScore, ContinuationScorer } from '../../models/lm/continuation-types.js';
import type { EvalRoutingRecorder, LayerRoutes, LayerRouting } from '../../models/lm/eval-routing.js';
import type { Row } from '../../sinks/table-spec.js';
import { evalRouteRows, evalRoutingRows } from '../../sinks/tables/eval-routing.js';
import type { EvalRunKey } from '../../sinks/tables/eval-results.js';

interface Captured {
  readonly inputs: Int32Array;
  readonly layers: LayerRouting[];
  readonly routes: LayerRoutes[];
}

/** Deterministic item sample: a hash of task and item id below the rate (same items at every checkpoint and run). */
export function sampledItem(task: string, itemId: string, rate: number): boolean {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  return createHash('sha256').update(`${task}\n${itemId}`).digest().readUInt32LE(0) / 2 ** 32 < rate;
}

export class RoutingCapture implements ContinuationScorer {
  private readonly captured: Captured[] = [];
  private calls = 0;

  constructor(private readonly inner: ContinuationScorer, private readonly recorder: EvalRoutingRecorder, private readonly sampledRequests: readonly boolean[]) {}

  get maxTokens(): number { return this.inner.maxTokens; }

  /** Scores each request in a forward of its own (the recorder reads one sequence per forward), in the order given. */
  async score(requests: readonly ContinuationRequest[]): Promise<ContinuationScore[]> {
    const out: ContinuationScore[] = [];
    for (const r of requests) {
      this.recorder.captureRoutes = this.sampledRequests[this.calls++] ?? false;
      out.push(...(await this.inner.score([r])));
      const { layers, routes } = await this.recorder.take();
      this.captured.push({ inputs: Int32Array.from([...r.context, ...r.continuation].slice(0, -1)), layers, routes });
    }
    return out;
  }

  /** Rows of eval/routing and eval/routes for `items`, scored in order through this capture. */
  rows(key: EvalRunKey, items: readonly EvalItem[]): { routing: Row[]; routes: Row[] } {
    const routing: Row[] = [];
    const routes: Row[] = [];
    let i = 0;
    for (const item of items) {
      const n = item.kind === 'choice' ? item.options.length : 1;
      for (let option = 0; option < n; option++) {
        const c = this.captured[i++];
        if (!c) throw new Error(`routing capture: ${this.captured.length} sequences recorded, fewer than the items' options`);
        routing.push(...evalRoutingRows(key, item.id, option, c.layers));
        if (c.routes.length) routes.push(...evalRouteRows(key, item.id, option, c.inputs, c.routes));
      }
    }
    return { routing, routes };
  }

  /** Which requests of `items` (in scoring order) are sampled for per-token routes. */
  static sampledRequests(task: string, items: readonly EvalItem[], rate: number): boolean[] {
    return items.flatMap((it) => new Array<boolean>(it.kind === 'choice' ? it.options.length : 1).fill(sampledItem(task, it.id, rate)));
  }
}
