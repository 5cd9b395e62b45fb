/**
 * The row formats evaluation files come in, told apart by their fields (the rule:
 * "detected from its fields, or named in the task config").
 */
import type { JsonRow } from '../task.js';

export type RowFormat =
  /** HuggingFace dataset rows as the task's own dataset has them (what lm-evaluation-harness reads). */
  | 'hf'
  /** llm-foundry ICL multiple choice: {query, choices, gold}. */
  | 'foundry-mc'
  /** llm-foundry ICL language modelling: {context, continuation}. */
  | 'foundry-lm'
  /** llm-foundry ICL schema: {context_options, continuation, gold}. */
  | 'foundry-schema';

export const ROW_FORMATS: readonly RowFormat[] = ['hf', 'foundry-mc', 'foundry-lm', 'foundry-schema'];

/**
 * llm-foundry's formats have fixed field sets; anything else is taken as HF rows (the task
 * then checks the fields it needs and names the missing one). A row with `context` and
 * `continuation` but also other known HF fields is still foundry-lm: no HF task uses both.
 */
export function detectRowFormat(row: JsonRow): RowFormat {
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(row, k);
  if (has('query') && has('choices') && has('gold')) return 'foundry-mc';
  if (has('context_options') && has('continuation') && has('gold')) return 'foundry-schema';
  if (has('context') && has('continuation')) return 'foundry-lm';
  return 'hf';
}
