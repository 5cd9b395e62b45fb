/** Hand-made VLM items and results for the metric tests: no files, no model. */
import type { LetterItem, YesNoItem } from '../../../src/eval/vlm/items.js';
import type { VlmItemResult } from '../../../src/eval/vlm/results.js';
import type { VlmTask } from '../../../src/eval/vlm/task.js';

const IMAGE = { kind: 'bytes', bytes: new Uint8Array([1]) } as const;
const SOURCE = { file: 'hand-made.jsonl', record: 1 };

export function yesNoItem(id: string, group: string, gold: 'yes' | 'no', pair?: string): YesNoItem {
  return { kind: 'yes-no', id, group, image: IMAGE, prompt: 'q', maxNewTokens: 16, gold, source: SOURCE, ...(pair === undefined ? {} : { pair }) };
}

export function letterItem(id: string, group: string, options: number, gold: number): LetterItem {
  return { kind: 'letter', id, group, image: IMAGE, prompt: 'q', maxNewTokens: 16, options: Array.from({ length: options }, (_, i) => `option ${i}`), gold, source: SOURCE };
}

/** Judge `[item, answer]` pairs with the task's own rules. */
export function judged(task: VlmTask, pairs: readonly [YesNoItem | LetterItem, string][]): VlmItemResult[] {
  return pairs.map(([item, output]) => task.judge(item, output));
}
