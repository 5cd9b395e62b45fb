/**
 * The data operators a pipeline's `data.flow` may name, one line each. The config schema
 * validates entries against it; `assembleFlow` builds the chain from it.
 */
import { batchOp } from './batch.js';
import { conversationOp } from './conversation.js';
import { filterOp } from './filter.js';
import type { FlowOp } from './flow-op.js';
import { imageOp } from './image.js';
import { packOp } from './pack.js';
import { padBatchOp } from './pad-batch.js';
import { prefetchOp } from './prefetch.js';
import { shuffleOp } from './shuffle.js';
import { textSamplesOp } from './text-samples.js';
import { tokenizeOp } from './tokenize.js';

const OPS: readonly FlowOp<never>[] = [
  filterOp,
  tokenizeOp,
  packOp,
  shuffleOp,
  batchOp,
  prefetchOp,
  conversationOp,
  imageOp,
  textSamplesOp,
  padBatchOp,
] as unknown as FlowOp<never>[];

const BY_NAME = new Map(OPS.map((o) => [o.name, o as FlowOp<object>]));

export function flowOp(name: string): FlowOp<object> | undefined {
  return BY_NAME.get(name);
}

export function flowOpNames(): string[] {
  return OPS.map((o) => o.name);
}
