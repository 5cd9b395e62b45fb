/**
 * Make a (context, continuation) pair fit the model: the sequence fed to the model is
 * context + continuation without its last token, at most `maxTokens` long. Context that does
 * not fit is cut from the left (the protocol both LibMoE and lm-evaluation-harness follow) and
 * the cut is reported so it can be counted. A continuation longer than the window itself is cut
 * from the left too (the whole sequence keeps its newest maxTokens + 1 tokens, and only the
 * continuation tokens left are scored); it only happens with windows far smaller than LibMoE's.
 * A sequence with no context (BLiMP) has its first token moved into the context: nothing
 * predicts a sequence's first token.
 */
import type { ContinuationRequest } from '../../models/lm/continuation-types.js';

export interface FittedRequest extends ContinuationRequest {
  /** Tokens removed from the left (0 when it fitted). */
  readonly cut: number;
}

export function fitWindow(context: Int32Array, continuation: Int32Array, maxTokens: number): FittedRequest {
  let ctx = context;
  let cont = continuation;
  if (cont.length === 0) throw new Error('an empty continuation cannot be scored');
  if (ctx.length === 0) {
    if (cont.length < 2) throw new Error('a one-token sequence with no context has nothing to score');
    ctx = cont.subarray(0, 1);
    cont = cont.subarray(1);
  }
  if (cont.length > maxTokens) {
    const keep = cont.length - maxTokens;
    return { context: cont.subarray(keep - 1, keep), continuation: cont.subarray(keep), cut: ctx.length + keep - 1 };
  }
  // Inputs = ctx + cont − 1 tokens; keep the newest maxTokens + 1 − |cont| context tokens.
  const room = maxTokens + 1 - cont.length;
  const cut = Math.max(0, ctx.length - room);
  return { context: cut > 0 ? ctx.subarray(cut) : ctx, continuation: cont, cut };
}
