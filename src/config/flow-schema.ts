/**
 * `data.flow` and `data.sources` in the pipeline schema. Each flow entry is `{op: NAME, …options}`
 * checked against the operator registry (src/ops/flow/registry.ts): an unknown op or option is
 * reported at its key path (`data.flow[2].bufferSize`) with the closest valid name.
 */
import { z } from 'zod';
import { closest } from '../base/closest.js';
import { oneOf, positiveNumber, text, textList } from '../base/fields.js';
import { SOURCE_ITEMS, chainProblems, walkChain } from '../ops/flow/chain.js';
import { defaultFlow } from '../ops/flow/default-flow.js';
import { ITEM_KINDS, type FlowStep, type ItemKind } from '../ops/flow/flow-op.js';
import { flowOp, flowOpNames } from '../ops/flow/registry.js';

/** One `data.flow` entry, validated against its op's options; yields `{op, …options with defaults}`. */
const flowEntry = z.unknown().transform((raw, ctx): FlowStep => {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    ctx.addIssue({ code: 'custom', message: `expected {op: NAME, …options} (ops: ${flowOpNames().join(', ')})`, input: raw });
    return z.NEVER;
  }
  const { op, ...given } = raw as { op?: unknown; [k: string]: unknown };
  if (typeof op !== 'string') {
    ctx.addIssue({ code: 'custom', path: ['op'], message: `expected the operator's name (one of ${flowOpNames().join(', ')})`, input: op });
    return z.NEVER;
  }
  const spec = flowOp(op);
  if (!spec) return { op, ...given }; // reported by the list check (with a suggestion), once
  const parsed = spec.options.safeParse(given, { reportInput: true });
  if (parsed.success) return { op, ...(parsed.data as object) };
  for (const iss of parsed.error.issues) {
    if (iss.code === 'unrecognized_keys') {
      const valid = Object.keys((spec.options as unknown as { shape: object }).shape ?? {});
      for (const k of iss.keys) {
        const guess = closest(k, valid);
        ctx.addIssue({ code: 'custom', path: [...iss.path, k], message: `unknown option of ${op}${guess ? `; did you mean "${guess}"?` : ''} (options of ${op}: ${valid.join(', ') || 'none'})`, input: given[k] });
      }
    } else {
      ctx.addIssue({ code: 'custom', path: iss.path as PropertyKey[], message: iss.message, input: (iss as { input?: unknown }).input });
    }
  }
  return z.NEVER;
});

/** A list of operators; whether they fit together depends on the sources, so `dataFlowProblems` checks that. */
export const flowSchema = z.array(flowEntry, { error: 'expected a list of operators, e.g. [{op: tokenize}, {op: pack}, {op: batch}]' })
  .min(1, { error: 'expected at least one operator' });

export const SOURCE_KINDS = ['slimpajama', 'llava'] as const;

/**
 * One training source: its kind (SlimPajama documents, the default, or LLaVA image-text records
 * with their image folder), its files, its share of the mix, optionally the domains it keeps
 * (SlimPajama) and the operators that run on it alone before the mix (`flow`): sources of
 * different kinds meet in the mix once their flows give the same items.
 */
export const sourceSchema = z.strictObject({
  name: text().optional(),
  kind: oneOf(SOURCE_KINDS).optional(),
  files: textList(),
  /** LLaVA: the folder the records' `image` paths are relative to. */
  images: text().optional(),
  weight: positiveNumber().prefault(1),
  domains: textList().optional(),
  flow: flowSchema.optional(),
}).superRefine((s, ctx) => {
  if (s.kind === 'llava' && s.images === undefined) ctx.addIssue({ code: 'custom', path: ['images'], message: 'expected the folder the records\' image paths are relative to (a llava source needs images: DIR)', input: undefined });
  if (s.kind !== 'llava' && s.images !== undefined) ctx.addIssue({ code: 'custom', path: ['images'], message: 'only a llava source has images (set kind: llava, or remove images)', input: s.images });
  if (s.kind === 'llava' && s.domains !== undefined) ctx.addIssue({ code: 'custom', path: ['domains'], message: 'a llava source has no domains (domains select SlimPajama documents by meta.redpajama_set_name)', input: s.domains });
});

type DataSection = {
  readonly sources?: readonly { readonly kind?: (typeof SOURCE_KINDS)[number]; readonly flow?: readonly FlowStep[] }[];
  readonly flow?: readonly FlowStep[];
  readonly shuffleBuffer: number;
};

/** A problem found in `data`, with its path below `data`. */
export interface DataFlowProblem {
  readonly path: PropertyKey[];
  readonly message: string;
  readonly input?: unknown;
}

/**
 * Whether the sources' flows and `data.flow` fit together: each source's own flow starts from
 * its kind's items (documents, image-text records); all sources must reach the mix with the same
 * items; `data.flow` (or the default chain) takes those and ends with the trainer's batches.
 */
export function dataFlowProblems(d: DataSection): DataFlowProblem[] {
  const problems: DataFlowProblem[] = [];
  const at = (prefix: PropertyKey[], steps: readonly FlowStep[], p: { index?: number; key?: string; message: string }): DataFlowProblem => ({
    path: p.index !== undefined ? [...prefix, p.index, ...(p.key ? [p.key] : [])] : prefix,
    message: p.message,
    input: p.index !== undefined ? steps[p.index]!.op : undefined,
  });
  // What each source delivers to the mix.
  const arrivals: { index: number; kind: ItemKind }[] = [];
  (d.sources ?? [{}]).forEach((src, index) => {
    const from: ItemKind = SOURCE_ITEMS[src.kind ?? 'slimpajama'];
    if (!src.flow) { arrivals.push({ index, kind: from }); return; }
    const walk = walkChain(src.flow.map((s) => s.op), from);
    problems.push(...walk.problems.map((p) => at(['sources', index, 'flow'], src.flow!, p)));
    if (walk.problems.length === 0) arrivals.push({ index, kind: walk.kind });
  });
  if (problems.length) return problems;
  const kinds = [...new Set(arrivals.map((a) => a.kind))];
  if (kinds.length > 1) {
    const list = arrivals.map((a) => `data.sources[${a.index}] gives ${ITEM_KINDS[a.kind]}`).join(', ');
    return [{ path: ['sources'], message: `the sources must reach the mix with the same items, but ${list}; give each source a flow that ends alike (e.g. {op: tokenize}, {op: textSamples} beside {op: conversation}, {op: image})` }];
  }
  const from = kinds[0]!;
  if (!d.flow) {
    if (from !== 'document') return [{ path: ['flow'], message: `expected data.flow: the sources give ${ITEM_KINDS[from]}, and the default flow (tokenize → pack → batch) takes documents; e.g. flow: [{op: padBatch}]` }];
    return chainProblems(defaultFlow(d).map((s) => s.op), from).map((p) => ({ path: ['flow'], message: p.message }));
  }
  return chainProblems(d.flow.map((s) => s.op), from).map((p) => at(['flow'], d.flow!, p));
}

/**
 * Before validation: a flow's `pack.seqLen` and `batch.size` stand for data.seqLen and
 * data.batchSize, so they are copied there when the pipeline does not state those (a mismatch
 * of both stated is a schema error). With a flow, data.shuffleBuffer would be ignored: an error.
 * Returns problems that the schema cannot see (it fills defaults first).
 */
export function prepareFlow(tree: unknown): string[] {
  const data = (tree as { data?: unknown } | null)?.data as Record<string, unknown> | undefined;
  if (!data || typeof data !== 'object' || !Array.isArray(data.flow)) return [];
  const problems: string[] = [];
  for (const step of data.flow as unknown[]) {
    const s = step as Record<string, unknown> | null;
    if (!s || typeof s !== 'object') continue;
    if (s.op === 'pack' && typeof s.seqLen === 'number' && data.seqLen === undefined) data.seqLen = s.seqLen;
    if (s.op === 'batch' && typeof s.size === 'number' && data.batchSize === undefined) data.batchSize = s.size;
  }
  const shuffle = (data.flow as Record<string, unknown>[]).find((s) => s && typeof s === 'object' && s.op === 'shuffle');
  const flowBuffer = shuffle ? shuffle.bufferSize : 0;
  if (data.shuffleBuffer !== undefined && data.shuffleBuffer !== flowBuffer) {
    problems.push(`data.shuffleBuffer: with data.flow, shuffling is an operator: state {op: shuffle, bufferSize: ${JSON.stringify(data.shuffleBuffer)}} in the flow and remove data.shuffleBuffer (the flow ${shuffle ? `shuffles with bufferSize ${JSON.stringify(flowBuffer)}` : 'has no shuffle'})`);
  }
  return problems;
}
