import { type ImageTextRecord } from '../items/image-text-record.js';
import { IGNORE_INDEX } from '../items/conversation-sample.js';
import { type ConversationTemplate, type Templated, moveImageTokenFirst } from './conversation-template.js';

/** LibMoE's `conv_phi_35_instruct`: system prompt and separator. */
export const PHI35_SYSTEM = 'You are a helpful assistant.';
export const PHI35_SEP = '<|end|>\n';

/**
 * The Phi-3.5 prompt (`Conversation.get_prompt`, `SeparatorStyle.PHI35`):
 * `<|system|>\n{system}<|end|>\n<|user|>\n{human}<|end|>\n<|assistant|>\n{gpt}<|end|>\n…`.
 * An empty message adds nothing (LibMoE's `if message:`).
 */
export function phi35Prompt(record: ImageTextRecord, system = PHI35_SYSTEM): string {
  let prompt = '<|system|>\n' + system + PHI35_SEP;
  record.conversations.forEach((turn, i) => {
    const message = record.modality === 'image' ? moveImageTokenFirst(turn.value) : turn.value;
    if (!message) return;
    prompt += i % 2 === 0 ? '<|user|>\n' + message + PHI35_SEP + '<|assistant|>\n' : message + PHI35_SEP;
  });
  return prompt;
}

/**
 * The rounds LibMoE measures for its label mask (`preprocess_phi35`): the prompt split at the
 * separator; for each round, the round text (`rou`, without its closing separator) and the
 * instruction part (`parts[0] + sep`); the first round includes the system prompt.
 */
export function phi35Rounds(prompt: string): { round: string; instruction: string }[] {
  const rounds = prompt.split(PHI35_SEP);
  const out: { round: string; instruction: string }[] = [];
  for (let i = 1; i < rounds.length - 1; i += 2) {
    const head = i === 1 ? rounds[0] + PHI35_SEP + rounds[1] : rounds[i]!;
    out.push({ round: head + PHI35_SEP + rounds[i + 1], instruction: head + PHI35_SEP });
  }
  return out;
}

/**
 * Labels exactly as LibMoE's `preprocess_phi35` computes them, including its arithmetic:
 * position 0 is masked; each round masks `len(instruction) − 1` positions from the running
 * length, then advances it by `len(round)`; everything after the last round is masked; when the
 * running length is below `modelMaxLength` and differs from the sample's length, the whole
 * sample is masked. (With Phi-3's tokenizer, whose `<|end|>` swallows the following newline, that
 * leaves `<|assistant|>` supervised and masks every conversation of more than one round: see
 * docs/operators.md, "Label masks".) Text-only samples are truncated to `modelMaxLength` first,
 * as LibMoE's tokenizer call does; image samples are cut later, by the caller.
 */
export function phi35Labels(ids: readonly number[], roundLengths: readonly { round: number; instruction: number }[], modelMaxLength: number): { labels: number[]; mismatch: boolean } {
  const labels = ids.slice();
  const total = ids.length;
  const mask = (from: number, to: number) => { for (let p = Math.max(0, from); p < Math.min(to, total); p++) labels[p] = IGNORE_INDEX; };
  let cur = 1;
  mask(0, cur);
  for (const { round, instruction } of roundLengths) {
    mask(cur, cur + instruction - 1);
    cur += round;
  }
  mask(cur, total);
  const mismatch = cur < modelMaxLength && cur !== total;
  if (mismatch) mask(0, total);
  return { labels, mismatch };
}

/**
 * The ends of each round's instruction (after `<|assistant|>\n`) and answer (after its
 * `<|end|>\n`) as prompt prefixes: `turns` labels are their token lengths.
 */
export function phi35TurnPrefixes(record: ImageTextRecord, system = PHI35_SYSTEM): string[] {
  const prompt = phi35Prompt(record, system);
  const prefixes: string[] = [];
  let at = 0;
  for (;;) {
    const open = prompt.indexOf('<|assistant|>\n', at);
    if (open < 0) break;
    const answerStart = open + '<|assistant|>\n'.length;
    const close = prompt.indexOf(PHI35_SEP, answerStart);
    const answerEnd = close < 0 ? prompt.length : close + PHI35_SEP.length;
    prefixes.push(prompt.slice(0, answerStart), prompt.slice(0, answerEnd));
    at = answerEnd;
  }
  return prefixes;
}

/**
 * `turns` labels: what `preprocess_phi35` means to do, measured on prefixes of the prompt:
 * system prompt, user turns and `<|assistant|>\n` masked; each answer and its `<|end|>\n`
 * supervised. A sample whose prefix lengths do not line up with the whole prompt's tokens (a
 * token spanning a turn boundary) is masked and counted like LibMoE's mismatch.
 */
export function phi35TurnLabels(ids: readonly number[], prefixLengths: readonly number[], fullLength = ids.length): { labels: number[]; mismatch: boolean } {
  const labels = ids.map(() => IGNORE_INDEX);
  let previous = 0;
  let aligned = true;
  for (let k = 0; k + 1 < prefixLengths.length; k += 2) {
    const from = prefixLengths[k]!;
    const to = prefixLengths[k + 1]!;
    if (from < previous || to < from) aligned = false;
    for (let p = from; p < Math.min(to, ids.length); p++) labels[p] = ids[p]!;
    previous = to;
  }
  // The prompt ends with the last answer's separator: its prefix is the whole prompt.
  const mismatch = !aligned || (prefixLengths.length > 0 && prefixLengths.at(-1) !== fullLength);
  return { labels: mismatch ? ids.map(() => IGNORE_INDEX) : labels, mismatch };
}

/**
 * @param labels 'libmoe' (default): `preprocess_phi35`'s arithmetic exactly, mismatches and all.
 *   'turns': the masking the template means (see `phi35TurnLabels`), for tokenizers on which
 *   LibMoE's arithmetic masks every multi-round sample (Phi-3's: docs/operators.md).
 */
export function phi35Template(system = PHI35_SYSTEM, labels: 'libmoe' | 'turns' = 'libmoe'): ConversationTemplate {
  return {
    name: labels === 'libmoe' ? 'phi35' : 'phi35-turns',
    texts(record) {
      const prompt = phi35Prompt(record, system);
      if (labels === 'turns') return [prompt, ...phi35TurnPrefixes(record, system)];
      return [prompt, ...phi35Rounds(prompt).flatMap((r) => [r.round, r.instruction])];
    },
    assemble(record, encoded, modelMaxLength): Templated {
      const full = encoded[0]!;
      // LibMoE truncates text-only conversations when it tokenizes them; image ones only in the model.
      const ids = record.modality === 'text' && full.length > modelMaxLength ? full.slice(0, modelMaxLength) : full.slice();
      if (labels === 'turns') {
        const { labels: l, mismatch } = phi35TurnLabels(ids, encoded.slice(1).map((e) => e.length), full.length);
        return { ids, labels: l, mismatch, truncated: ids.length < full.length };
      }
      const lengths: { round: number; instruction: number }[] = [];
      for (let k = 1; k + 1 < encoded.length; k += 2) lengths.push({ round: encoded[k]!.length, instruction: encoded[k + 1]!.length });
      const { labels: l, mismatch } = phi35Labels(ids, lengths, modelMaxLength);
      return { ids, labels: l, mismatch, truncated: ids.length < full.length };
    },
  };
}
