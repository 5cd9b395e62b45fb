/** RACE (test/high, test/middle): "Article: {article}\nQuestion: {question}\nAnswer:" + " " + option; 4 options, length-normalised. */
import { str, strList } from '../data/fields.js';
import type { EvalTask } from '../task.js';
import { itemId } from './item-id.js';
import { choiceItem } from './multiple-choice.js';
import { fileStem, labelIndex } from './prompts.js';

export const race: EvalTask = {
  name: 'race',
  description: 'RACE reading comprehension, 4 options (HF {article, question, options, answer}); race/high.jsonl and race/middle.jsonl',
  files: ['race/', 'race.jsonl', 'race.parquet'],
  formats: ['hf'],
  toItem(row, _format, source) {
    const options = strList(row, 'options');
    const gold = labelIndex(options.map((_, i) => String.fromCharCode(65 + i)), str(row, 'answer'), 'answer');
    const context = `Article: ${str(row, 'article')}\nQuestion: ${str(row, 'question')}\nAnswer:`;
    return choiceItem(itemId(row, source, 'example_id', 'id'), `test/${fileStem(source.file)}`, context, options, gold, source);
  },
};
