/**
 * LibMoE's three-stage recipe at library level on the synthetic fixtures: stage 1 trains the
 * projector alone, stage 2 the whole dense model from stage 1's folder, stage 3 the VLM upcycled
 * from stage 2's folder. The answer after each image names its class (two classes: chance 0.5);
 * held-out images (other noise) are answered by the arg-max logit at the answer position.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../../../src/models/backend.js';
import { tf } from '../../../src/models/tf.js';
import { VisionLanguageModel } from '../../../src/models/vlm/model/vision-language-model.js';
import { VlmTrainer, type VlmTrainConfig } from '../../../src/models/vlm/model/vlm-trainer.js';
import { upcycleVlm } from '../../../src/models/vlm/model/upcycle-vlm.js';
import { loadVlmWeights, saveVlmWeights, vlmFromCheckpoint } from '../../../src/models/vlm/model/vlm-checkpoint.js';
import { TINY_P, TINY_VLM, tinyBatch } from './vlm-fixtures.js';

before(async () => {
  await selectBackend('wasm');
});

const TRAIN_CLASSES = [0, 1, 1, 0, 1, 0];
const HELD_OUT = { classes: [1, 0, 0, 1, 0, 1, 1, 0], variant: 100 };

/** Share of held-out images whose answer logit (8 + class) beats the other class's. */
function accuracy(m: VisionLanguageModel): number {
  const batch = tinyBatch(HELD_OUT);
  const logits = tf.tidy(() => m.forward(batch, { training: false, step: 0, totalSteps: 1 }).logits.arraySync());
  const seqLen = logits.length / HELD_OUT.classes.length;
  // Row BOS, P image rows, then Q: Q's logits predict the answer.
  const right = HELD_OUT.classes.filter((c, r) => {
    const row = logits[r * seqLen + 1 + TINY_P]!;
    return row[8 + c]! > row[8 + (1 - c)]!;
  });
  return right.length / HELD_OUT.classes.length;
}

async function train(m: VisionLanguageModel, cfg: VlmTrainConfig, steps: number): Promise<number> {
  const t = new VlmTrainer(m, cfg);
  let loss = 0;
  for (let i = 0; i < steps; i++) loss = (await t.trainStep(tinyBatch({ classes: TRAIN_CLASSES, textRow: true }))).languageLoss;
  t.dispose();
  return loss;
}

test('three stages (projector → whole dense model → upcycled MoE), each from the previous folder, answer held-out images well above chance', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vlm-stages-'));
  const schedule = { warmupSteps: 2, minLrMultiplier: 0.1, gradClip: 1 };
  try {
    const s1 = VisionLanguageModel.create(TINY_VLM);
    assert.equal(accuracy(s1), 0.5, 'at chance before training');
    await train(s1, { ...schedule, lr: 1e-2, totalSteps: 15, trainable: ['mm_projector.*'] }, 15);
    await saveVlmWeights(join(dir, 'pretrain'), s1);

    const s2 = await vlmFromCheckpoint(join(dir, 'pretrain'));
    await train(s2, { ...schedule, lr: 5e-3, totalSteps: 25, trainable: ['*'] }, 25);
    await saveVlmWeights(join(dir, 'pft'), s2);
    const acc2 = accuracy(s2);

    const dense = VisionLanguageModel.create(TINY_VLM);
    await loadVlmWeights(join(dir, 'pft'), dense);
    const s3 = upcycleVlm(dense, { algorithm: 'smoe' });
    assert.equal(accuracy(s3), acc2, 'upcycling keeps the answers');
    await train(s3, { ...schedule, lr: 2e-3, totalSteps: 10, trainable: ['*'] }, 10);
    const acc3 = accuracy(s3);
    assert.ok(acc2 >= 0.875 && acc3 >= 0.875, `held-out accuracy after stage 2 ${acc2}, stage 3 ${acc3} (chance 0.5)`);
    for (const m of [s1, s2, dense, s3]) m.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
