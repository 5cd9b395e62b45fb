/** OpenBookQA (test): "Question: {question_stem}\nAnswer:" + " " + option; 4 options, length-normalised. */
import { int, obj, str, strList } from '../data/fields.js';
import type { EvalTask } from '../task.js';
import { itemId } from './item-id.js';
import { choiceItem } from './multiple-choice.js';
import { foundryQuestion, labelIndex, questionPrompt } from './prompts.js';

export const openbookqa: EvalTask = {
  name: 'openbookqa',
  description: 'OpenBookQA, 4 options (HF {question_stem, choices: {text, label}, answerKey} or llm-foundry {query, choices, gold})',
  files: ['openbookqa.jsonl', 'openbookqa.parquet'],
  formats: ['hf', 'foundry-mc'],
  toItem(row, format, source) {
    const id = itemId(row, source, 'id');
    if (format === 'foundry-mc') return choiceItem(id, 'test', questionPrompt(foundryQuestion(str(row, 'query'))), strList(row, 'choices'), int(row, 'gold'), source);
    const choices = obj(row, 'choices');
    const gold = labelIndex(strList(choices, 'label', 'choices.label'), str(row, 'answerKey'));
    return choiceItem(id, 'test', questionPrompt(str(row, 'question_stem')), strList(choices, 'text', 'choices.text'), gold, source);
  },
};
