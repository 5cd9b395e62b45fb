/**
 * ScienceQA-IMG (lmms-eval `scienceqa_img`, HF lmms-lab/ScienceQA config ScienceQA-IMG, test):
 * rows {question, choices, answer, image, hint, subject, …}; only questions with an image are
 * scored (the others are excluded, counted); prompt `Context: {hint}\n` (when there is a hint) +
 * question + "\nA. …\nB. …" + "\nAnswer with the option's letter from the given choices
 * directly."; 16 new tokens; group = subject.
 */
import { goldIndex, int, str, strList } from '../../data/fields.js';
import { itemId } from '../../tasks/item-id.js';
import { ExcludedRow, RowError } from '../../task.js';
import { llavaScienceQaLetter, lmmsScienceQaLetter } from '../answers.js';
import { imageField } from '../image-field.js';
import { optionLetter, type LetterItem } from '../items.js';
import { scienceQaPrompt } from '../prompts.js';
import { scienceQaMetrics } from '../scoring/scienceqa-metrics.js';
import type { VlmTask } from '../task.js';

export const scienceQaImg: VlmTask = {
  name: 'scienceqa_img',
  description: 'ScienceQA questions with an image, answer letter (HF {question, choices, answer, image, hint, subject})',
  files: ['scienceqa_img.jsonl', 'scienceqa_img.parquet', 'scienceqa.jsonl', 'scienceqa.parquet', 'scienceqa_img/'],
  toItem(row, source, imageDir): LetterItem {
    const question = str(row, 'question');
    const options = strList(row, 'choices');
    if (options.length > 26) throw new RowError(`field "choices" has ${options.length} options; letters run A–Z`);
    const gold = goldIndex(int(row, 'answer'), options.length, 'answer');
    const hint = row['hint'];
    if (hint !== undefined && hint !== null && typeof hint !== 'string') throw new RowError('field "hint" must be a string');
    const subject = row['subject'];
    const image = imageField(row, imageDir);
    if (!image) throw new ExcludedRow('no image (scienceqa_img scores the questions with an image)');
    return {
      kind: 'letter',
      id: itemId(row, source, 'id', 'question_id'),
      group: typeof subject === 'string' && subject !== '' ? subject : 'test',
      image,
      prompt: scienceQaPrompt(question, options, hint ?? ''),
      maxNewTokens: 16,
      options,
      gold,
      source,
    };
  },
  judge(item, output) {
    if (item.kind !== 'letter') throw new Error(`scienceqa_img: item ${item.id} is not a lettered item`);
    const gold = optionLetter(item.gold);
    const lm = lmmsScienceQaLetter(output);
    const ll = llavaScienceQaLetter(output);
    return {
      id: item.id, group: item.group, gold, output,
      lmmsEval: { parsed: lm, correct: lm === gold },
      llava: { parsed: ll, correct: ll === gold },
    };
  },
  metrics: scienceQaMetrics,
};
