/**
 * bench/vlm-step and bench/vlm-memory run and print the JSON their docs describe. The bench runs
 * in a tiny mode (two timed steps of two rows); no figure is compared with a speed, only checked
 * to be present and consistent (positive, shares within [0, 1], counts that add up).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { plainChildEnv } from '../support/child-env.js';

const bench = (name: string) => fileURLToPath(new URL(`../../bench/${name}.js`, import.meta.url));
const positive = (x: unknown, what: string) => assert.ok(typeof x === 'number' && Number.isFinite(x) && x > 0, `${what}: ${x}`);
const share = (x: unknown, what: string) => assert.ok(typeof x === 'number' && x >= 0 && x <= 1, `${what}: ${x}`);

function runJson(name: string, args: string[]): Record<string, any> {
  const r = spawnSync(process.execPath, [bench(name), ...args], { encoding: 'utf8', timeout: 240_000, env: plainChildEnv() });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('vlm-step: a tiny run of the stage-3 quickstart VLM reports rates, the MoE share and memory', () => {
  const out = runJson('vlm-step', ['wasm', '2', '--warmup', '1', '--set', 'data.batchSize=2']);
  assert.equal(out.bench, 'vlm-step');
  assert.equal(out.backend, 'wasm');
  assert.match(out.pipeline, /vlm-stage3\.yaml$/);
  assert.equal(out.data.batchSize, 2);
  assert.equal(out.steps.length, 2);
  // The stage-3 model: every tower layer's MLP and the projector are MoE layers (upcycled, E from the YAML).
  assert.equal(out.model.moeLayers, out.model.tower.layers + 1);
  assert.ok(out.model.parameters > out.dense.parameters);
  for (const k of ['medianMsPerStep', 'imagesPerSec', 'textTokensPerSec', 'splicedTokensPerSec', 'targetTokensPerSec']) positive(out[k], k);
  for (const s of out.steps) {
    // The splice turns each <image> into P feature rows: spliced = text + images · P.
    const p = (out.model.tower.imageSize / out.model.tower.patchSize) ** 2;
    assert.equal(s.splicedTokens, s.textTokens + s.images * p);
    assert.ok(s.targetTokens > 0 && s.targetTokens <= s.textTokens);
    assert.ok(s.moeForwardMs > 0 && s.moeBackwardMs > 0, JSON.stringify(s));
    assert.ok(s.moeForwardMs <= s.forwardMs && s.forwardMs <= s.ms, JSON.stringify(s));
  }
  share(out.moe.shareOfStep, 'moe.shareOfStep');
  share(out.moe.shareOfStepMedian, 'moe.shareOfStepMedian');
  share(out.moe.forwardShareOfForward, 'moe.forwardShareOfForward');
  share(out.moe.parameterShare, 'moe.parameterShare');
  positive(out.dense.moeOverDense, 'dense.moeOverDense');
  const m = out.memory;
  assert.ok(m.peakLiveBytes > m.liveBytesBetweenSteps && m.liveBytesBetweenSteps > 0, JSON.stringify(m));
  assert.ok(m.wasmHeapBytes > 0 && m.wasmHeapBytes <= m.wasmHeapLimitBytes, JSON.stringify(m));
  positive(m.rssBytes, 'rss');
  assert.equal(out.loadavgBefore.length, 3);
});

test('vlm-memory: per component and stage bytes, with the quickstart fitting and Phi-3 not', () => {
  const out = runJson('vlm-memory', []);
  assert.equal(out.bench, 'vlm-memory');
  assert.equal(out.vlms.length, 3);
  for (const v of out.vlms) {
    const c = v.components;
    assert.ok(c.towerMoe.params > c.tower.params && c.projectorMoe.params > c.projector.params, v.vlm);
    assert.ok(Math.abs(c.languageModel.trainedGiB - (16 * c.languageModel.params) / 2 ** 30) < 1e-3, v.vlm);
    // Stage 1 trains the projector only; stages 2 and 3 everything.
    assert.deepEqual(v.stage1.trains, { tower: false, projector: true, languageModel: false });
    assert.deepEqual(v.stage3.trains, { tower: true, projector: true, languageModel: true });
    assert.equal(v.stage3.params, c.towerMoe.params + c.projectorMoe.params + c.languageModel.params);
  }
  const [clip, siglip, quick] = out.vlms;
  assert.ok(clip.stage1.fitsBeforeActivations === false && siglip.stage1.fitsBeforeActivations === false);
  assert.ok(quick.stage3.fitsBeforeActivations);
  assert.equal(out.budget.allTrainedMaxParams, 2 ** 32 / 16);
});
