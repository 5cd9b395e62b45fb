/**
 * The rules a `data.flow` list must follow, in the pipeline's terms: known ops, items that fit
 * from one op to the next, documents in and token batches out. Used by the config schema (to
 * report `data.flow[i]` problems) and by `assembleFlow` (which refuses a list that breaks them).
 */
import { closest } from '../../base/closest.js';
import { ITEM_KINDS, type ItemKind } from './flow-op.js';
import { flowOp, flowOpNames } from './registry.js';

export interface ChainProblem {
  /** Index into the list; undefined for the list as a whole. */
  readonly index?: number;
  readonly key?: string;
  readonly message: string;
}

/** What a flow starts from (the sources) and must end with (the trainer's input). */
export const FLOW_INPUT: ItemKind = 'document';
export const FLOW_OUTPUT: ItemKind = 'batch';

/** Problems with the op names and their order; [] when the chain is sound. */
export function chainProblems(names: readonly string[]): ChainProblem[] {
  const problems: ChainProblem[] = [];
  let kind: ItemKind = FLOW_INPUT;
  names.forEach((name, index) => {
    const op = flowOp(name);
    if (!op) {
      const guess = closest(name, flowOpNames());
      problems.push({ index, key: 'op', message: `unknown op "${name}"${guess ? `; did you mean "${guess}"?` : ''} (known: ${flowOpNames().join(', ')})` });
      return;
    }
    if (op.input !== kind) {
      const makers = flowOpNames().filter((n) => flowOp(n)!.output === op.input && flowOp(n)!.input === kind);
      problems.push({
        index, key: 'op',
        message: `${name} takes ${ITEM_KINDS[op.input]} but gets ${ITEM_KINDS[kind]}${makers.length ? `; put {op: ${makers[0]}} before it` : ''}`,
      });
    }
    kind = op.output;
  });
  if (problems.length === 0 && kind !== FLOW_OUTPUT) {
    problems.push({ message: `the flow must end with ${ITEM_KINDS[FLOW_OUTPUT]} for the trainer, but ends with ${ITEM_KINDS[kind]}; end it with {op: batch} (and optionally {op: prefetch})` });
  }
  return problems;
}
