/**
 * LAMBADA (OpenAI test set): the passage without its last word is the context; the model must
 * produce the last word greedily. HF rows {text} are split at the last space; llm-foundry rows
 * {context, continuation} are already split.
 */
import { str } from '../data/fields.js';
import type { LastWordItem } from '../items.js';
import { RowError, type EvalTask } from '../task.js';
import { itemId } from './item-id.js';

export const lambada: EvalTask = {
  name: 'lambada',
  description: 'LAMBADA last-word prediction (HF {text} or llm-foundry {context, continuation})',
  files: ['lambada_openai.jsonl', 'lambada_openai.parquet', 'lambada.jsonl', 'lambada.parquet'],
  formats: ['hf', 'foundry-lm'],
  toItem(row, format, source): LastWordItem {
    let context: string;
    let target: string;
    if (format === 'foundry-lm') {
      context = str(row, 'context').trimEnd();
      target = str(row, 'continuation').trim();
    } else {
      const text = str(row, 'text').trim();
      const cut = text.lastIndexOf(' ');
      context = cut < 0 ? '' : text.slice(0, cut);
      target = text.slice(cut + 1);
    }
    if (context.length === 0) throw new RowError('no context before the last word');
    if (target.length === 0 || /\s/.test(target)) throw new RowError(`the last word must be one non-empty word, got ${JSON.stringify(target)}`);
    return { kind: 'last-word', id: itemId(row, source, 'id'), group: 'total', context, target, source };
  },
};
