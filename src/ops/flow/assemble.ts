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
import { chainProblems } from './chain.js';
import type { FlowContext, FlowStep } from './flow-op.js';
import { flowOp } from './registry.js';

export function assembleFlow(source: Flow<TextRecord>, steps: readonly FlowStep[], ctx: FlowContext): Flow<TokenBatch> {
  const problems = chainProblems(steps.map((s) => s.op));
  if (problems.length) {
    throw new Error(`data.flow: ${problems.map((p) => (p.index !== undefined ? `[${p.index}] ${p.message}` : p.message)).join('; ')}`);
  }
  const ops: Op<unknown, unknown>[] = [];
  steps.forEach((step, i) => {
    const spec = flowOp(step.op)!;
    const { op: _name, ...given } = step;
    const parsed = spec.options.safeParse(given);
    if (!parsed.success) throw new Error(`data.flow[${i}] (${step.op}): ${parsed.error.issues.map((x) => `${x.path.join('.') || '(options)'}: ${x.message}`).join('; ')}`);
    const built = spec.build(parsed.data, ctx);
    if (built) ops.push(built as unknown as Op<unknown, unknown>);
  });
  return pipe(source as Flow<unknown>, ...ops) as Flow<TokenBatch>;
}
