/** Prompt pieces several tasks share (libmoe.md §9.1; lm-evaluation-harness where LibMoE follows it). */
import { RowError } from '../task.js';

/** LibMoE's question prompt (PIQA, ARC, OpenBookQA, CommonsenseQA, Winogrande); the option follows after a space. */
export function questionPrompt(stem: string): string {
  return `Question: ${stem}\nAnswer:`;
}

/**
 * The question inside an llm-foundry multiple-choice `query`. Foundry's files carry their own
 * prompt ("Question: …\n"); taking the question back out lets the task apply LibMoE's prompt,
 * so a task scores the same text whichever format its file is in. A query without the
 * "Question: " prefix is taken whole as the question.
 */
export function foundryQuestion(query: string): string {
  const q = query.startsWith('Question: ') ? query.slice('Question: '.length) : query;
  return q.replace(/\s*(\nAnswer:)?\s*$/, '');
}

/** Python's str.capitalize(): first character upper case, the rest lower case. */
export function pyCapitalize(s: string): string {
  return s.length === 0 ? s : s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
}

/** Python's repr() of a list of strings, as MMLU's LibMoE prompt prints its options. */
export function pyListRepr(items: readonly string[]): string {
  return `[${items.map(pyStrRepr).join(', ')}]`;
}

function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch < ' ' || ch === '\x7f') out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${quote}${out}${quote}`;
}

/** Index of an answer key ("B", "3") among the option labels; a RowError naming both when absent. */
export function labelIndex(labels: readonly string[], key: string, field = 'answerKey'): number {
  const i = labels.indexOf(key);
  if (i < 0) throw new RowError(`field "${field}" = ${JSON.stringify(key)} is not one of the option labels ${JSON.stringify(labels)}`);
  return i;
}

/** File name without folder and extension: the group of a one-file-per-group task (BLiMP, RACE, CBT). */
export function fileStem(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  return base.replace(/\.(jsonl|json|parquet)$/i, '');
}
