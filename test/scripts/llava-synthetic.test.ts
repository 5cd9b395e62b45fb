import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { llava } from '../../src/streams/llava/llava.js';
import { drain } from '../support/drain.js';
import { makeLlavaSynthetic } from '../../scripts/make-llava-synthetic.js';
import { caption, makeScene, place } from '../../scripts/llava-synthetic-scenes.js';
import { decodeImage } from '../../src/ops/image/decode-image.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/llava-synthetic', import.meta.url));

test('captions name every shape with its colour and place, in reading order', () => {
  const scene = { id: 's', size: 64, background: 'white', objects: [
    { shape: 'circle', colour: 'red', row: 0, col: 0 }, { shape: 'square', colour: 'blue', row: 1, col: 1 }, { shape: 'triangle', colour: 'green', row: 2, col: 1 },
  ] } as const;
  assert.equal(caption(scene), 'A red circle at the top left, a blue square in the centre and a green triangle at the bottom.');
  assert.equal(place(1, 2), 'on the right');
  assert.deepEqual(makeScene(7), makeScene(7), 'scenes are seeded');
});

test('the committed fixture set reads cleanly through the LLaVA source: train and held-out, images present', async () => {
  const counts: Record<string, number> = {};
  for (const name of ['pretrain-train.json', 'pretrain-heldout.json', 'instruct-train.jsonl', 'instruct-heldout.jsonl']) {
    const stage = llava({ files: join(FIXTURES, name), imageRoot: FIXTURES })();
    const records = await drain(stage);
    counts[name] = records.length;
    const stats = stage.stats!() as { skipped: number };
    assert.equal(stats.skipped, 0, name);
  }
  assert.equal(counts['pretrain-train.json']! + counts['pretrain-heldout.json']!, 300);
  assert.ok(counts['pretrain-heldout.json']! > 30 && counts['pretrain-heldout.json']! < 90, 'about a fifth held out');
  const image = await decodeImage(join(FIXTURES, 'images', 'synth-0000.png'));
  assert.deepEqual([image.width, image.height], [64, 64]);
});

test('the generator makes the same records on every run (the committed JSON is its output)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'moeflow-synth-'));
  try {
    await makeLlavaSynthetic(dir, 300);
    for (const name of ['pretrain-train.json', 'pretrain-heldout.json', 'instruct-train.jsonl', 'instruct-heldout.jsonl']) {
      assert.equal(readFileSync(join(dir, name), 'utf8'), readFileSync(join(FIXTURES, name), 'utf8'), name);
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
