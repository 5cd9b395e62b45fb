/**
 * POPE (lmms-eval `pope`, HF lmms-lab/POPE test): rows {question_id, question, answer, image,
 * category, image_source}; prompt `question.strip()` + "\nAnswer the question using a single
 * word or phrase."; 128 new tokens; group = category (adversarial, popular, random).
 */
import { str } from '../../data/fields.js';
import { itemId } from '../../tasks/item-id.js';
import { RowError } from '../../task.js';
import { lmmsPopeAnswer, popeYesNo } from '../answers.js';
import type { YesNoItem } from '../items.js';
import { popePrompt } from '../prompts.js';
import { popeMetrics } from '../scoring/pope-metrics.js';
import type { VlmTask } from '../task.js';
import { requireImage, yesNoGold } from './fields.js';

export const pope: VlmTask = {
  name: 'pope',
  description: 'POPE object hallucination, yes/no (HF {question_id, question, answer, image, category, image_source})',
  files: ['pope.jsonl', 'pope.parquet', 'pope/'],
  toItem(row, source, imageDir): YesNoItem {
    const question = str(row, 'question');
    const gold = yesNoGold(str(row, 'answer'), (a) => a.toLowerCase().trim());
    const category = row['category'];
    if (category !== undefined && category !== null && typeof category !== 'string') throw new RowError('field "category" must be a string');
    return {
      kind: 'yes-no',
      id: itemId(row, source, 'question_id', 'id'),
      group: category || 'pope',
      image: requireImage(row, imageDir),
      prompt: popePrompt(question),
      maxNewTokens: 128,
      gold,
      source,
    };
  },
  judge(item, output) {
    if (item.kind !== 'yes-no') throw new Error(`pope: item ${item.id} is not a yes/no item`);
    const lm = lmmsPopeAnswer(output);
    const ll = popeYesNo(output);
    return {
      id: item.id, group: item.group, gold: item.gold, output,
      lmmsEval: { parsed: lm, correct: lm === item.gold },
      llava: { parsed: ll, correct: ll === item.gold },
    };
  },
  metrics: popeMetrics,
};
