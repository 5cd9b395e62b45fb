/**
 * Synthetic but internally consistent step events for sink, report and CLI tests: routing
 * selections are drawn from a seeded RNG with a per-domain expert preference, and every
 * per-expert count is derived from those selections (so tables must agree with each other).
 */
import type { LayerRoutingStats, StepResult, TokenBatch } from '../../src/models/train-types.js';
import type { StepEvent } from '../../src/events/step-event.js';
import { Rng } from '../../src/base/random.js';

export const FAKE_DOMAINS = ['RedPajamaC4', 'RedPajamaGithub', 'RedPajamaWikipedia'] as const;

export interface FakeShape { layers: number; experts: number; topK: number; batchSize: number; seqLen: number; bias?: boolean }

export function fakeBatch(step: number, shape: FakeShape): TokenBatch {
  const w = shape.seqLen + 1;
  const tokens = new Int32Array(shape.batchSize * w);
  const domainIds = new Uint8Array(shape.batchSize * w);
  const rng = Rng.derive(7, 'batch', step);
  for (let r = 0; r < shape.batchSize; r++) {
    const d = r % FAKE_DOMAINS.length;
    for (let p = 0; p < w; p++) { tokens[r * w + p] = rng.int(500); domainIds[r * w + p] = d; }
  }
  return { tokens, batchSize: shape.batchSize, seqLen: shape.seqLen, domainIds, domains: FAKE_DOMAINS };
}

export function fakeLayer(step: number, layer: number, batch: TokenBatch, shape: FakeShape): LayerRoutingStats {
  const { experts: E, topK: K } = shape;
  const T = batch.batchSize * batch.seqLen;
  const rng = Rng.derive(11, 'route', step, layer);
  const selected = new Int32Array(T * K);
  const gates = new Float32Array(T * K);
  const tokenSlots = new Float64Array(E);
  const top1Count = new Float64Array(E);
  const gateMass = new Float64Array(E);
  const probMass = new Float64Array(E);
  let entropyTopKSum = 0;
  let marginSum = 0;
  for (let t = 0; t < T; t++) {
    const row = Math.floor(t / batch.seqLen);
    const d = batch.domainIds![row * (batch.seqLen + 1) + (t % batch.seqLen)]!;
    // Balance improves with the step: early steps favour expert d strongly.
    const skew = Math.max(0.1, 0.9 - step * 0.02);
    const chosen: number[] = [];
    while (chosen.length < K) {
      const e = rng.next() < skew ? (d + layer + chosen.length) % E : rng.int(E);
      if (!chosen.includes(e)) chosen.push(e);
    }
    const raw = chosen.map((_, i) => 1 / (i + 0.6 + Math.min(1.5, step / 40)));
    const sum = raw.reduce((a, b) => a + b, 0);
    chosen.forEach((e, i) => {
      const w = raw[i]! / sum;
      selected[t * K + i] = e; gates[t * K + i] = w;
      tokenSlots[e]!++; gateMass[e]! += w; probMass[e]! += w * 0.8;
      if (i === 0) top1Count[e]!++;
    });
    for (let e = 0; e < E; e++) probMass[e]! += 0.2 / E;
    entropyTopKSum += -raw.reduce((h, r) => h + (r / sum) * Math.log(r / sum), 0);
    marginSum += K > 1 ? (raw[0]! - raw[1]!) / sum : 1;
  }
  return {
    layer, nExperts: E, topK: K, tokens: T, tokenSlots, top1Count, probMass, gateMass,
    bias: shape.bias ? Float64Array.from({ length: E }, (_, e) => (e - E / 2) * 1e-3 * step) : undefined,
    entropyTopKSum, entropyFullSum: T * Math.log(E) * (0.45 + 0.5 * Math.min(1, step / 60) - 0.01 * layer), marginSum, droppedSlots: 0,
    aux: { balance_loss: 0.01 * (1 + 1 / step), router_z_loss: 0.001 * layer },
    selected, gates,
  };
}

export function fakeStepEvent(runId: string, step: number, totalSteps: number, shape: FakeShape): StepEvent {
  const batch = fakeBatch(step, shape);
  const routing = Array.from({ length: shape.layers }, (_, l) => fakeLayer(step, l, batch, shape));
  const aux = { balance_loss: routing.reduce((a, l) => a + l.aux.balance_loss!, 0), router_z_loss: routing.reduce((a, l) => a + l.aux.router_z_loss!, 0) };
  const tokens = shape.batchSize * shape.seqLen;
  const result: StepResult = {
    step, loss: 8 * Math.exp(-step / 20) + 2, auxTotal: aux.balance_loss + aux.router_z_loss, aux,
    lr: 1e-3 * Math.min(1, step / 5), gradNorm: 1 / Math.sqrt(step), tokens, flops: 6 * tokens * 1e6, msCompute: 40, msStats: 2, routing,
  };
  return { kind: 'step', runId, result, timing: { msData: 3, msCompute: 40, msStats: 2, msSinks: 1 }, batches: [batch], totalSteps, time: 1.7e12 + step * 1000 };
}
