import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../src/models/backend.js';
import { tf } from '../../src/models/tf.js';
import { AdamW } from '../../src/models/optim/adamw.js';
import { lrAt } from '../../src/models/optim/schedule.js';
import { clipScale } from '../../src/models/optim/clip-scale.js';

before(async () => {
  await selectBackend('wasm');
});

test('lr warms up linearly, then follows a cosine down to minLrMultiplier·lr and stays there', () => {
  const s = { lr: 1e-3, warmupSteps: 4, totalSteps: 100, minLrMultiplier: 0.1 };
  assert.equal(lrAt(s, 0), 1e-3 * 0.25 * (0.1 + 0.9 * 0.5 * (1 + Math.cos(0))));
  assert.ok(Math.abs(lrAt(s, 3) - 1e-3 * (0.1 + 0.45 * (1 + Math.cos((Math.PI * 3) / 100)))) < 1e-15);
  assert.ok(Math.abs(lrAt(s, 50) - 1e-3 * 0.55) < 1e-12);
  assert.ok(Math.abs(lrAt(s, 100) - 1e-4) < 1e-15);
  assert.ok(Math.abs(lrAt(s, 500) - 1e-4) < 1e-15);
});

test('AdamW follows torch.optim.AdamW: decoupled decay, bias-corrected moments', async () => {
  const p = tf.variable(tf.tensor1d([1, -2]));
  const opt = new AdamW(new Map([['p', p]]), { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 });
  const lr = 0.01;
  const grads = [[0.5, -1], [0.25, 2]];
  const expect = [1, -2];
  const m = [0, 0], v = [0, 0];
  for (let t = 1; t <= 2; t++) {
    const g = tf.tensor1d(grads[t - 1]!);
    opt.update(new Map([['p', g]]), lr, 1);
    g.dispose();
    for (let i = 0; i < 2; i++) {
      const gi = grads[t - 1]![i]!;
      expect[i]! *= 1 - lr * 0.1;
      m[i] = 0.9 * m[i]! + 0.1 * gi;
      v[i] = 0.999 * v[i]! + 0.001 * gi * gi;
      expect[i]! -= (lr / (1 - 0.9 ** t)) * (m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(1 - 0.999 ** t) + 1e-8));
    }
  }
  const got = await p.data();
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(got[i]! - expect[i]!) < 1e-6, `p[${i}] = ${got[i]}, expected ${expect[i]}`);
  assert.equal(opt.steps, 2);
  opt.dispose();
  p.dispose();
});

test('AdamW scales gradients by the clipping factor before the moments see them', async () => {
  const a = tf.variable(tf.tensor1d([0]));
  const b = tf.variable(tf.tensor1d([0]));
  const oa = new AdamW(new Map([['x', a]]), { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
  const ob = new AdamW(new Map([['x', b]]), { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
  oa.update(new Map([['x', tf.tensor1d([4])]]), 0.1, 0.25);
  ob.update(new Map([['x', tf.tensor1d([1])]]), 0.1, 1);
  assert.deepEqual(await oa.m.get('x')!.data(), await ob.m.get('x')!.data());
  assert.deepEqual(await a.data(), await b.data());
});

test('clipScale is torch.nn.utils.clip_grad_norm_\'s factor: max/(norm + 1e-6) only when below 1, 1 without clipping', () => {
  assert.equal(clipScale(10, 1), 1 / (10 + 1e-6));
  assert.equal(clipScale(0.5, 1), 1);
  assert.equal(clipScale(1, 1), 1 / (1 + 1e-6), 'a norm equal to the max is still scaled by max/(norm+1e-6) < 1');
  assert.equal(clipScale(1e9, null), 1);
});
