/**
 * BLiMP: a grammatical and an ungrammatical sentence; the model should give the good one the
 * higher summed log-probability (LibMoE: no length normalisation, no context). One file per
 * phenomenon in `blimp/`; the group is the row's UID (the phenomenon).
 */
import { str } from '../data/fields.js';
import type { EvalTask } from '../task.js';
import { choiceItem } from './multiple-choice.js';
import { fileStem } from './prompts.js';

export const blimp: EvalTask = {
  name: 'blimp',
  description: 'BLiMP minimal pairs, one file per phenomenon in blimp/ (HF {sentence_good, sentence_bad, UID, pairID})',
  files: ['blimp/', 'blimp.jsonl', 'blimp.parquet'],
  formats: ['hf'],
  toItem(row, _format, source) {
    const uid = typeof row['UID'] === 'string' ? (row['UID'] as string) : fileStem(source.file);
    const pair = row['pairID'];
    const id = typeof pair === 'string' || typeof pair === 'number' ? `${uid}/${pair}` : `${uid}/${source.record}`;
    return choiceItem(id, uid, '', [str(row, 'sentence_good'), str(row, 'sentence_bad')], 0, source, { delimiter: '', lengthNormalised: false });
  },
};
