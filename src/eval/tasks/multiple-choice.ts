/** Builder for the common case: a question prompt, options after a space, mean log-prob scoring. */
import type { ChoiceItem, ItemSource } from '../items.js';
import { goldIndex } from '../data/fields.js';

export function choiceItem(id: string, group: string, context: string, options: readonly string[], gold: number, source: ItemSource,
  shape: { delimiter?: string; lengthNormalised?: boolean } = {}): ChoiceItem {
  return {
    kind: 'choice', id, group, context, options, source,
    gold: goldIndex(gold, options.length, 'gold'),
    delimiter: shape.delimiter ?? ' ',
    lengthNormalised: shape.lengthNormalised ?? true,
  };
}
