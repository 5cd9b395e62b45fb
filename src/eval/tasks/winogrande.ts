/** Winogrande (dev, 1.1): LibMoE's prompt "Question: {sentence}\nAnswer:" + " " + option; 2 options, length-normalised; answer "1"/"2". */
import { int, str } from '../data/fields.js';
import type { EvalTask } from '../task.js';
import { itemId } from './item-id.js';
import { choiceItem } from './multiple-choice.js';
import { questionPrompt } from './prompts.js';

export const winogrande: EvalTask = {
  name: 'winogrande',
  description: 'Winogrande, 2 options (HF {sentence, option1, option2, answer})',
  files: ['winogrande.jsonl', 'winogrande.parquet'],
  formats: ['hf'],
  toItem(row, _format, source) {
    return choiceItem(itemId(row, source, 'qID', 'id'), 'dev', questionPrompt(str(row, 'sentence')), [str(row, 'option1'), str(row, 'option2')], int(row, 'answer') - 1, source);
  },
};
