/** Social IQa (dev): "Context: {context}\nQuestion: {question}\nAnswer:" + " " + answer; 3 options, length-normalised; label "1".."3". */
import { int, str } from '../data/fields.js';
import type { EvalTask } from '../task.js';
import { itemId } from './item-id.js';
import { choiceItem } from './multiple-choice.js';

export const siqa: EvalTask = {
  name: 'siqa',
  description: 'Social IQa, 3 options (HF {context, question, answerA, answerB, answerC, label})',
  files: ['siqa.jsonl', 'social_i_qa.jsonl', 'siqa.parquet', 'social_i_qa.parquet'],
  formats: ['hf'],
  toItem(row, _format, source) {
    const context = `Context: ${str(row, 'context')}\nQuestion: ${str(row, 'question')}\nAnswer:`;
    return choiceItem(itemId(row, source, 'id'), 'dev', context, [str(row, 'answerA'), str(row, 'answerB'), str(row, 'answerC')], int(row, 'label') - 1, source);
  },
};
