import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listImageCases, runImageCase } from './image-case.js';

test('an image case whose image is not on this machine is skipped with a message naming the image, not failed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'moeflow-golden-'));
  try {
    const c = { id: 'vlm_model/image_preprocess#hidden-9', config: { image: 'x', processor: 'clip336' }, inputs: { image_file: 'hidden/images/absent-9f3c.jpg' }, expected: {} };
    writeFileSync(join(dir, 'image_preprocess__clip336__absent.json'), JSON.stringify({ format_version: 1, cases: [c] }));
    const [found] = listImageCases(dir);
    assert.equal(found!.id, c.id);
    const r = await runImageCase(found!);
    assert.equal(r.ok, true);
    assert.match(r.skipped ?? '', /image hidden\/images\/absent-9f3c\.jpg not found/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
