/**
 * The prompts lmms-eval's `doc_to_text` builds for its default model kwargs, and LLaVA's image
 * token placement (lmms-eval's llava model prepends `<image>\n` when the text has no image token).
 */
import { IMAGE_TOKEN } from '../../streams/llava/image-text-record.js';
import { optionLetter } from './items.js';

/** POPE's and MME's default `post_prompt`. */
export const SHORT_ANSWER = '\nAnswer the question using a single word or phrase.';
/** ScienceQA-IMG's default `post_prompt`. */
export const LETTER_ANSWER = "\nAnswer with the option's letter from the given choices directly.";
/** What MME's questions end with; removed before the post prompt is appended. */
export const MME_YES_NO = ' Please answer yes or no.';

/** Python's `str.strip()` (whitespace at both ends). */
function pyStrip(s: string): string {
  return s.replace(/^\s+|\s+$/g, '');
}

/** POPE: `question.strip()` + the short-answer post prompt. */
export function popePrompt(question: string): string {
  return `${pyStrip(question)}${SHORT_ANSWER}`;
}

/** MME: `question.strip()`, " Please answer yes or no." removed (every occurrence), + the short-answer post prompt. */
export function mmePrompt(question: string): string {
  return `${pyStrip(question).replaceAll(MME_YES_NO, '')}${SHORT_ANSWER}`;
}

/**
 * ScienceQA: `Context: {hint}\n` when the hint is non-empty, the question, one line per option
 * `A. …`, then the letter post prompt.
 */
export function scienceQaPrompt(question: string, choices: readonly string[], hint: string): string {
  const context = hint ? `Context: ${hint}\n` : '';
  const lines = choices.map((c, i) => `${optionLetter(i)}. ${c}`).join('\n');
  return `${context}${question}\n${lines}${LETTER_ANSWER}`;
}

/** The user turn the model sees: the prompt as it is when it holds the image token, else `<image>\n` + prompt. */
export function withImageToken(prompt: string): string {
  return prompt.includes(IMAGE_TOKEN) ? prompt : `${IMAGE_TOKEN}\n${prompt}`;
}
