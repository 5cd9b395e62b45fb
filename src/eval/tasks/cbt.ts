/**
 * Children's Book Test (CN, NE, P, V = one file each in cbt/): the story, then the question with
 * XXXXX filled by each of the 10 candidates; no length normalisation (sum over the sequence).
 */
import { RowError } from '../task.js';
import { str, strList } from '../data/fields.js';
import type { EvalTask } from '../task.js';
import { itemId } from './item-id.js';
import { choiceItem } from './multiple-choice.js';
import { fileStem } from './prompts.js';

export const cbt: EvalTask = {
  name: 'cbt',
  description: "Children's Book Test, 10 candidates (HF {sentences, question, options, answer}); cbt/CN.jsonl, NE, P, V",
  files: ['cbt/'],
  formats: ['hf'],
  toItem(row, _format, source) {
    const question = str(row, 'question');
    if (!question.includes('XXXXX')) throw new RowError('field "question" has no XXXXX placeholder');
    const options = strList(row, 'options');
    const gold = options.indexOf(str(row, 'answer'));
    if (gold < 0) throw new RowError(`field "answer" = ${JSON.stringify(row['answer'])} is not one of the options`);
    const story = strList(row, 'sentences').map((s) => s.trim()).join(' ');
    return choiceItem(itemId(row, source, 'id'), fileStem(source.file), story, options.map((o) => question.replaceAll('XXXXX', o)), gold, source, { lengthNormalised: false });
  },
};
