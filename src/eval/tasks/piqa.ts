/** PIQA (validation): "Question: {goal}\nAnswer:" + " " + solution; 2 options, length-normalised. */
import { int, str, strList } from '../data/fields.js';
import type { EvalTask } from '../task.js';
import { itemId } from './item-id.js';
import { choiceItem } from './multiple-choice.js';
import { foundryQuestion, questionPrompt } from './prompts.js';

export const piqa: EvalTask = {
  name: 'piqa',
  description: 'PIQA physical commonsense, 2 options (HF {goal, sol1, sol2, label} or llm-foundry {query, choices, gold})',
  files: ['piqa.jsonl', 'piqa.parquet'],
  formats: ['hf', 'foundry-mc'],
  toItem(row, format, source) {
    const id = itemId(row, source, 'id');
    if (format === 'foundry-mc') return choiceItem(id, 'val', questionPrompt(foundryQuestion(str(row, 'query'))), strList(row, 'choices'), int(row, 'gold'), source);
    return choiceItem(id, 'val', questionPrompt(str(row, 'goal')), [str(row, 'sol1'), str(row, 'sol2')], int(row, 'label'), source);
  },
};
