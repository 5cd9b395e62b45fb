/**
 * Answer parsing, rule for rule as the evaluation scripts do it (Python string semantics:
 * `strip()` is whitespace at both ends, `split(' ')` splits on single spaces only).
 */

function pyStrip(s: string): string {
  return s.replace(/^\s+|\s+$/g, '');
}

/** lmms-eval POPE: `pred.lower().strip()`, compared with the gold word as it is ("Yes." is not "yes"). */
export function lmmsPopeAnswer(output: string): string {
  return pyStrip(output.toLowerCase());
}

/**
 * POPE's own rule (LLaVA's eval_pope.py): keep the text before the first ".", drop commas, split
 * on spaces; any word "No", "no" or "not" makes it "no", anything else is "yes".
 */
export function popeYesNo(output: string): 'yes' | 'no' {
  const dot = output.indexOf('.');
  const first = dot === -1 ? output : output.slice(0, dot);
  const words = first.replaceAll(',', '').split(' ');
  return words.includes('No') || words.includes('not') || words.includes('no') ? 'no' : 'yes';
}

/**
 * lmms-eval MME (Otter's parse_pred_ans): lower-case, strip, drop every "."; "yes"/"no" as they
 * are, "y"/"n" alone, else "yes" or "no" found in the first 4 characters (yes first), else "other".
 */
export function mmeYesNo(output: string): 'yes' | 'no' | 'other' {
  const a = pyStrip(output.toLowerCase()).replaceAll('.', '');
  if (a === 'yes' || a === 'no') return a;
  if (a.length === 1) return a === 'y' ? 'yes' : a === 'n' ? 'no' : 'other';
  const head = a.slice(0, 4);
  if (head.includes('yes')) return 'yes';
  if (head.includes('no')) return 'no';
  return 'other';
}

function isUpper(c: string): boolean {
  return c !== c.toLowerCase() && c === c.toUpperCase();
}

/**
 * lmms-eval ScienceQA: the stripped answer is the letter itself (either case), or starts with an
 * upper-case letter and "." ("B." or "B. the moon"). Anything else ("The answer is B.", "(B)")
 * credits no letter: returns "".
 */
export function lmmsScienceQaLetter(output: string): string {
  const p = pyStrip(output);
  if ([...p].length === 1) return p.toUpperCase();
  if (p.length >= 2 && isUpper(p[0]!) && p[1] === '.') return p[0]!;
  return '';
}

/** LLaVA's eval_science_qa.py option letters (`--options`, default A–E). */
export const LLAVA_OPTIONS = ['A', 'B', 'C', 'D', 'E'] as const;

/**
 * LLaVA's ScienceQA extraction: the answer is one of the option letters, or starts with a letter
 * and ". ", or holds exactly one "The answer is X." (any character after the letter). "" when
 * none applies (LLaVA then picks a random option; moeflow counts it wrong).
 */
export function llavaScienceQaLetter(output: string): string {
  const options: readonly string[] = LLAVA_OPTIONS;
  if (options.includes(output)) return output;
  if (output.length >= 3 && options.includes(output[0]!) && output.slice(1, 3) === '. ') return output[0]!;
  const found = [...output.matchAll(/The answer is ([A-Z])./g)];
  return found.length === 1 ? found[0]![1]! : '';
}
