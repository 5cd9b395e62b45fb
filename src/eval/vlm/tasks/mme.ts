/**
 * MME (lmms-eval `mme`, HF lmms-lab/MME test): rows {question_id, question, answer, image,
 * category}; two questions per image share its question_id (one "yes", one "no" in MME);
 * prompt `question.strip()` without " Please answer yes or no." + "\nAnswer the question using
 * a single word or phrase."; 16 new tokens; group = category, one of lmms-eval's 14.
 */
import { str } from '../../data/fields.js';
import { RowError } from '../../task.js';
import { mmeYesNo } from '../answers.js';
import type { YesNoItem } from '../items.js';
import { mmePrompt } from '../prompts.js';
import { MME_CATEGORIES, mmeMetrics } from '../scoring/mme-metrics.js';
import type { VlmTask } from '../task.js';
import { requireImage, yesNoGold } from './fields.js';

export const mme: VlmTask = {
  name: 'mme',
  description: 'MME perception and cognition, yes/no pairs per image (HF {question_id, question, answer, image, category})',
  files: ['mme.jsonl', 'mme.parquet', 'mme/'],
  toItem(row, source, imageDir): YesNoItem {
    const pair = str(row, 'question_id');
    const question = str(row, 'question');
    const gold = yesNoGold(str(row, 'answer'), (a) => a.toLowerCase().trim().replaceAll('.', ''));
    const category = str(row, 'category');
    if (!MME_CATEGORIES.includes(category)) throw new RowError(`field "category" = ${JSON.stringify(category)} is not an MME category (${MME_CATEGORIES.join(', ')})`);
    return {
      kind: 'yes-no',
      // The loader numbers the two questions of a pair: `<question_id>#1`, `#2` (file order).
      id: pair,
      group: category,
      image: requireImage(row, imageDir),
      prompt: mmePrompt(question),
      maxNewTokens: 16,
      gold,
      pair,
      source,
    };
  },
  judge(item, output) {
    if (item.kind !== 'yes-no') throw new Error(`mme: item ${item.id} is not a yes/no item`);
    const parsed = mmeYesNo(output);
    return { id: item.id, group: item.group, gold: item.gold, output, lmmsEval: { parsed, correct: parsed === item.gold }, pair: item.pair };
  },
  metrics: mmeMetrics,
};
