/**
 * `data.flow` and `data.sources` in the pipeline schema. Each flow entry is `{op: NAME, …options}`
 * checked against the operator registry (src/ops/flow/registry.ts): an unknown op or option is
 * reported at its key path (`data.flow[2].bufferSize`) with the closest valid name.
 */
import { z } from 'zod';
import { closest } from '../base/closest.js';
import { positiveNumber, text, textList } from '../base/fields.js';
import { chainProblems } from '../ops/flow/chain.js';
import type { FlowStep } from '../ops/flow/flow-op.js';
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

export const flowSchema = z.array(flowEntry, { error: 'expected a list of operators, e.g. [{op: tokenize}, {op: pack}, {op: batch}]' })
  .min(1, { error: 'expected at least one operator' })
  .superRefine((steps, ctx) => {
    for (const p of chainProblems(steps.map((s) => s.op))) {
      ctx.addIssue({ code: 'custom', path: p.index !== undefined ? [p.index, ...(p.key ? [p.key] : [])] : [], message: p.message, input: p.index !== undefined ? steps[p.index]!.op : undefined });
    }
  });

/** One training source: its files, its share of the mix and, optionally, the domains it keeps. */
export const sourceSchema = z.strictObject({
  name: text().optional(),
  files: textList(),
  weight: positiveNumber().prefault(1),
  domains: textList().optional(),
});

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
