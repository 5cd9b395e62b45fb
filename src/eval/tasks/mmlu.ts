/**
 * MMLU (test, all subjects): "Question: {q}\nOptions: {Python list repr}\nAnswer:" + option with
 * no separating space (LibMoE's prompt as written); group = subject (else the file's name).
 */
import { int, str, strList } from '../data/fields.js';
import type { EvalTask } from '../task.js';
import { itemId } from './item-id.js';
import { choiceItem } from './multiple-choice.js';
import { fileStem, pyListRepr } from './prompts.js';

export const mmlu: EvalTask = {
  name: 'mmlu',
  description: 'MMLU, 4 options (HF {question, subject, choices, answer}); a file or mmlu/ with one file per subject',
  files: ['mmlu/', 'mmlu.jsonl', 'mmlu.parquet'],
  formats: ['hf'],
  toItem(row, _format, source) {
    const subject = typeof row['subject'] === 'string' && row['subject'] ? (row['subject'] as string) : fileStem(source.file);
    const options = strList(row, 'choices');
    const context = `Question: ${str(row, 'question')}\nOptions: ${pyListRepr(options)}\nAnswer:`;
    return choiceItem(itemId(row, source, 'id'), subject, context, options, int(row, 'answer'), source, { delimiter: '' });
  },
};
