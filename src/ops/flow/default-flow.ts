/**
 * The flow a pipeline gets when it states no `data.flow`: LibMoE's LM data path,
 * tokenize → pack → shuffle (when data.shuffleBuffer > 0) → batch → prefetch(2). Runs and
 * checkpoints made before `data.flow` existed used exactly this chain, so they resume unchanged.
 */
import type { FlowStep } from './flow-op.js';

export function defaultFlow(data: { readonly shuffleBuffer: number }): FlowStep[] {
  return [
    { op: 'tokenize' },
    { op: 'pack' },
    ...(data.shuffleBuffer > 0 ? [{ op: 'shuffle', bufferSize: data.shuffleBuffer }] : []),
    { op: 'batch', dropRemainder: true },
    { op: 'prefetch', depth: 2 },
  ];
}
