/** CommonsenseQA (dev, "dev_rand_split"): "Question: {question}\nAnswer:" + " " + option; 5 options, length-normalised. */
import { int, obj, str, strList } from '../data/fields.js';
import type { EvalTask } from '../task.js';
import { itemId } from './item-id.js';
import { choiceItem } from './multiple-choice.js';
import { foundryQuestion, labelIndex, questionPrompt } from './prompts.js';

export const commonsenseQa: EvalTask = {
  name: 'commonsenseqa',
  description: 'CommonsenseQA, 5 options (HF {question, choices: {text, label}, answerKey} or llm-foundry {query, choices, gold})',
  files: ['commonsenseqa.jsonl', 'commonsense_qa.jsonl', 'commonsenseqa.parquet', 'commonsense_qa.parquet'],
  formats: ['hf', 'foundry-mc'],
  toItem(row, format, source) {
    const id = itemId(row, source, 'id');
    if (format === 'foundry-mc') return choiceItem(id, 'dev_rand_split', questionPrompt(foundryQuestion(str(row, 'query'))), strList(row, 'choices'), int(row, 'gold'), source);
    const choices = obj(row, 'choices');
    const gold = labelIndex(strList(choices, 'label', 'choices.label'), str(row, 'answerKey'));
    return choiceItem(id, 'dev_rand_split', questionPrompt(str(row, 'question')), strList(choices, 'text', 'choices.text'), gold, source);
  },
};
