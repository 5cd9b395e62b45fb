/**
 * `filter`: keeps the documents of the listed domains (`meta.redpajama_set_name`), drops the
 * others (counted in the flow's stats as `dropped`). Deterministic, so a resume drops the same.
 *
 * @example
 * ```yaml
 * data:
 *   flow:
 *     - {op: filter, domains: [RedPajamaArXiv, RedPajamaGithub]}
 *     - {op: tokenize}
 * ```
 */
import { z } from 'zod';
import { textList } from '../../base/fields.js';
import { filter } from '../filter.js';
import type { TextRecord } from '../items/text-record.js';
import { defineFlowOp } from './flow-op.js';

export const filterOp = defineFlowOp({
  name: 'filter',
  summary: 'keep only the documents of the listed domains',
  input: 'document',
  output: 'document',
  options: z.strictObject({
    domains: textList(),
  }),
  build: (o) => {
    const keep = new Set(o.domains);
    return filter<TextRecord>((r) => keep.has(r.domain), 'domain filter');
  },
});
