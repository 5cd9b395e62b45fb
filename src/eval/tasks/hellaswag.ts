/**
 * HellaSwag (validation): "{activity_label}: {ctx_a} {ctx_b.capitalize()}" + " " + ending, with
 * the WikiHow markup cleanup lm-evaluation-harness applies to context and endings; 4 options,
 * length-normalised. An llm-foundry file's query is already that context and is used as it is.
 */
import { int, str, strList } from '../data/fields.js';
import type { EvalTask } from '../task.js';
import { itemId } from './item-id.js';
import { choiceItem } from './multiple-choice.js';
import { pyCapitalize } from './prompts.js';

/** lm-evaluation-harness hellaswag `preprocess`: strip, " [title]" → ". ", drop [bracketed] markers, "  " → " ". */
export function hellaswagClean(text: string): string {
  return text.trim().replaceAll(' [title]', '. ').replace(/\[.*?\]/g, '').replaceAll('  ', ' ');
}

export const hellaswag: EvalTask = {
  name: 'hellaswag',
  description: 'HellaSwag sentence completion, 4 endings (HF {activity_label, ctx_a, ctx_b, endings, label} or llm-foundry {query, choices, gold})',
  files: ['hellaswag.jsonl', 'hellaswag.parquet'],
  formats: ['hf', 'foundry-mc'],
  toItem(row, format, source) {
    const id = itemId(row, source, 'ind', 'id');
    if (format === 'foundry-mc') return choiceItem(id, 'val', str(row, 'query'), strList(row, 'choices'), int(row, 'gold'), source);
    const context = hellaswagClean(`${str(row, 'activity_label')}: ${str(row, 'ctx_a')} ${pyCapitalize(str(row, 'ctx_b'))}`);
    return choiceItem(id, 'val', context, strList(row, 'endings').map(hellaswagClean), int(row, 'label'), source);
  },
};
