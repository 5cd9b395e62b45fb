/**
 * ARC-Easy and ARC-Challenge (test): "Question: {stem}\nAnswer:" + " " + option, length-normalised.
 * LibMoE's loader keeps only 4-option items; the others are excluded (counted), not errors.
 * HF rows {question, choices: {text, label}, answerKey} and the original release's
 * {question: {stem, choices: [{text, label}]}, answerKey} are both read.
 */
import { int, obj, str, strList } from '../data/fields.js';
import type { RowFormat } from '../data/row-format.js';
import type { ItemSource } from '../items.js';
import { ExcludedRow, RowError, type EvalTask, type JsonRow } from '../task.js';
import { itemId } from './item-id.js';
import { choiceItem } from './multiple-choice.js';
import { foundryQuestion, labelIndex, questionPrompt } from './prompts.js';

function arcTask(name: string, group: string): EvalTask {
  return {
    name,
    description: `${group} science questions, 4 options (HF {question, choices: {text, label}, answerKey} or llm-foundry {query, choices, gold})`,
    files: [`${name}.jsonl`, `${name}.parquet`],
    formats: ['hf', 'foundry-mc'],
    toItem(row: JsonRow, format: RowFormat, source: ItemSource) {
      const id = itemId(row, source, 'id');
      let stem: string;
      let options: string[];
      let gold: number;
      if (format === 'foundry-mc') {
        stem = foundryQuestion(str(row, 'query'));
        options = strList(row, 'choices');
        gold = int(row, 'gold');
      } else {
        const q = row['question'];
        if (typeof q === 'object' && q !== null && !Array.isArray(q)) {
          const original = q as JsonRow;
          stem = str(original, 'stem');
          const list = original['choices'];
          if (!Array.isArray(list)) throw new RowError('field "question.choices" must be a list of {text, label}');
          options = list.map((c) => str(c as JsonRow, 'text'));
          gold = labelIndex(list.map((c) => String((c as JsonRow)['label'])), str(row, 'answerKey'));
        } else {
          stem = str(row, 'question');
          const choices = obj(row, 'choices');
          options = strList(choices, 'text', 'choices.text');
          gold = labelIndex(strList(choices, 'label', 'choices.label'), str(row, 'answerKey'));
        }
      }
      if (options.length !== 4) throw new ExcludedRow(`${options.length} options (LibMoE scores 4-option ARC items only)`);
      return choiceItem(id, group, questionPrompt(stem), options, gold, source);
    },
  };
}

export const arcEasy = arcTask('arc_easy', 'ARC-Easy');
export const arcChallenge = arcTask('arc_challenge', 'ARC-Challenge');
