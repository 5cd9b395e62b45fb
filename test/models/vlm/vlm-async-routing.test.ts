/**
 * A VLM with MoE in the vision tower and the projector, trained and evaluated on the routing
 * path of backends without synchronous read-back (webgpu; moe/routing-reads.ts), forced on
 * wasm with dataSync/arraySync/bufferSync made to throw: two training steps and an eval loss
 * equal the synchronous path's bit for bit (X-MoE: the in-place embedding renormalisation
 * happens once per step, not once per probe).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { VisionLanguageModel } from '../../../src/models/vlm/model/vision-language-model.js';
import { upcycleVlm } from '../../../src/models/vlm/model/upcycle-vlm.js';
import { VlmTrainer } from '../../../src/models/vlm/model/vlm-trainer.js';
import { forceAsyncRouting } from '../../../src/models/moe/routing-reads.js';
import { TINY_VLM, tinyBatch } from './vlm-fixtures.js';
import { withoutSyncReads } from '../../support/no-sync-reads.js';

before(async () => {
  await selectBackend('wasm');
});
after(() => forceAsyncRouting(false));

interface Run {
  readonly numbers: unknown[];
  readonly weights: Map<string, Float32Array>;
  readonly state: string;
}

/** Upcycling reads the dense weights synchronously, so it runs before the guard; the steps run under it when `guarded`. */
async function run(algorithm: string, guarded: boolean): Promise<Run> {
  const dense = VisionLanguageModel.create(TINY_VLM);
  const moe = upcycleVlm(dense, { algorithm });
  dense.dispose();
  const t = new VlmTrainer(moe, { lr: 1e-3, warmupSteps: 0, totalSteps: 4, minLrMultiplier: 0.1, gradClip: 1, trainable: ['*'] });
  const steps = async (): Promise<unknown[]> => {
    const out: unknown[] = [];
    for (const variant of [0, 1]) {
      const { msCompute: _ms, ...r } = await t.trainStep(tinyBatch({ textRow: true, variant }));
      out.push(r);
    }
    out.push(await t.evalLoss(tinyBatch({ variant: 2 })));
    return out;
  };
  try {
    let numbers: unknown[];
    if (guarded) {
      forceAsyncRouting(true);
      try {
        numbers = await withoutSyncReads(steps);
      } finally {
        forceAsyncRouting(false);
      }
    } else numbers = await steps();
    const weights = new Map<string, Float32Array>();
    for (const [name, v] of moe.params) weights.set(name, Float32Array.from(await v.data() as Float32Array));
    return { numbers, weights, state: JSON.stringify(t.state()) };
  } finally {
    t.dispose();
    moe.dispose();
  }
}

for (const algorithm of ['smoe', 'xmoe']) {
  test(`${algorithm} tower and projector: train and eval read nothing synchronously and equal the synchronous path bit for bit`, async () => {
    const host = await run(algorithm, false);
    const device = await run(algorithm, true);
    assert.deepEqual(device.numbers, host.numbers);
    assert.equal(device.state, host.state);
    for (const [name, w] of host.weights) assert.deepEqual(device.weights.get(name), w, `weight ${name}`);
  });
}
