/**
 * The rules a `data.flow` list must follow, in the pipeline's terms: known ops, items that fit
 * from one op to the next, the sources' items in and batches out. Used by the config schema (to
 * report `data.flow[i]` and `data.sources[i].flow[j]` problems) and by `assembleFlow` (which
 * refuses a list that breaks them).
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

/** What a flow starts from by default (SlimPajama sources) and the batches a flow may end with. */
export const FLOW_INPUT: ItemKind = 'document';
export const FLOW_OUTPUT: ItemKind = 'batch';
/** Token batches (the language model's) or padded sample batches (image-text, for the vision-language model). */
export const FLOW_OUTPUTS: readonly ItemKind[] = ['batch', 'sampleBatch'];

/** What each source kind delivers to its flow. */
export const SOURCE_ITEMS = { slimpajama: 'document', llava: 'record' } as const satisfies Record<string, ItemKind>;

/** The item kinds of the image-text path: a flow that reaches them ends with padded sample batches. */
const IMAGE_TEXT_KINDS: ReadonlySet<ItemKind> = new Set(['record', 'sample', 'sampleBatch']);

/** Problems with the op names and their order, and the kind of item the list ends with. */
export function walkChain(names: readonly string[], from: ItemKind = FLOW_INPUT): { problems: ChainProblem[]; kind: ItemKind } {
  const problems: ChainProblem[] = [];
  let kind: ItemKind = from;
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
  return { problems, kind };
}

/** Problems with a whole flow from `from` to the trainer's batches; [] when the chain is sound. */
export function chainProblems(names: readonly string[], from: ItemKind = FLOW_INPUT): ChainProblem[] {
  const { problems, kind } = walkChain(names, from);
  if (problems.length === 0 && !FLOW_OUTPUTS.includes(kind)) problems.push({ message: endMessage(kind) });
  return problems;
}

/** Says how to end a flow that ends with `kind`. */
function endMessage(kind: ItemKind): string {
  if (kind === 'record') {
    return `the flow must end with ${ITEM_KINDS.sampleBatch} for the trainer, but ends with ${ITEM_KINDS.record}; add {op: conversation} (and {op: image}), then {op: padBatch}`;
  }
  if (IMAGE_TEXT_KINDS.has(kind)) {
    return `the flow must end with ${ITEM_KINDS.sampleBatch} for the trainer, but ends with ${ITEM_KINDS[kind]}; end it with {op: padBatch}`;
  }
  return `the flow must end with ${ITEM_KINDS[FLOW_OUTPUT]} for the trainer, but ends with ${ITEM_KINDS[kind]}; end it with {op: batch} (and optionally {op: prefetch})`;
}
