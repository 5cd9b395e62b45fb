import type { Variable } from '../../../tf.js';
import type { ExpertBank } from '../../experts/expert-bank.js';

/**
 * MoE++'s copy expert: the identity, no parameters. LibMoE defines `CopyExpert` but leaves it
 * commented out of `init_moe_plus`; `smoe_plus_plus` adds these only on request.
 */
export function copyExpertBank(count: number): ExpertBank {
  return { size: count, variables: new Map<string, Variable>(), run: (_e, rows) => rows };
}
