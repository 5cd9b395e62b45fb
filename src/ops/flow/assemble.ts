/**
 * Builds the streaming chain a `data.flow` list names: each entry's registry op, built with
 * its options and the run's context, composed with `pipe` onto the source.
 *
 * @example
 * ```ts
 * const flow = assembleFlow(source, [{ op: 'tokenize' }, { op: 'pack' }, { op: 'batch' }], ctx);
 * const stage = flow(savedState); // resumes exactly like any pipe
 * ```
 */
import { pipe } from '../../streams/pipe.js';
import type { Flow, Op } from '../../streams/stage.js';
import type { TextRecord } from '../items/text-record.js';
import type { TokenBatch } from '../../models/train-types.js';
import { FLOW_INPUT, chainProblems, walkChain } from './chain.js';
import type { FlowContext, FlowStep, ItemKind } from './flow-op.js';
import { flowOp } from './registry.js';

export interface AssembleOptions {
  /** The items the source gives (default: documents). */
  readonly from?: ItemKind;
  /** A part of a flow (a source's own operators before the mix): need not end with batches. */
  readonly partial?: boolean;
  /** How errors name the list (default `data.flow`). */
  readonly label?: string;
}

export function assembleFlow(source: Flow<TextRecord>, steps: readonly FlowStep[], ctx: FlowContext): Flow<TokenBatch>;
export function assembleFlow<T>(source: Flow<unknown>, steps: readonly FlowStep[], ctx: FlowContext, options: AssembleOptions): Flow<T>;
export function assembleFlow(source: Flow<unknown>, steps: readonly FlowStep[], ctx: FlowContext, options: AssembleOptions = {}): Flow<unknown> {
  const label = options.label ?? 'data.flow';
  const from = options.from ?? FLOW_INPUT;
  const names = steps.map((s) => s.op);
  const problems = options.partial ? walkChain(names, from).problems : chainProblems(names, from);
  if (problems.length) {
    throw new Error(`${label}: ${problems.map((p) => (p.index !== undefined ? `[${p.index}] ${p.message}` : p.message)).join('; ')}`);
  }
  const ops: Op<unknown, unknown>[] = [];
  steps.forEach((step, i) => {
    const spec = flowOp(step.op)!;
    const { op: _name, ...given } = step;
    const parsed = spec.options.safeParse(given);
    if (!parsed.success) throw new Error(`${label}[${i}] (${step.op}): ${parsed.error.issues.map((x) => `${x.path.join('.') || '(options)'}: ${x.message}`).join('; ')}`);
    const built = spec.build(parsed.data, ctx);
    if (built) ops.push(built as unknown as Op<unknown, unknown>);
  });
  return pipe(source, ...ops);
}
