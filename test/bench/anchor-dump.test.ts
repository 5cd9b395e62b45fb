/**
 * bench/anchor-dump writes the batches `pipeline run` trains on, from the project's own data plan,
 * in lm_train_torch.py's dump format: the same batches (every step's metrics `batch_hash`), the
 * declared shapes and the model's initial weights.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { plainChildEnv } from '../support/child-env.js';
import { loadPipeline } from '../../src/config/load.js';
import { selectBackend } from '../../src/models/backend.js';
import { decodeSafetensors } from '../../src/models/checkpoint/safetensors.js';
import { writeAnchorDump } from '../../bench/anchor-dump.js';

const STEPS = 5;
const SETS = ['trainer.warmupSteps=1', 'data.batchSize=2', 'data.seqLen=32'];

test("the dump holds the batches the run trains on (each step's batch_hash), their shape and the initial weights", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-anchor-dump-test-'));
  try {
    const train = spawnSync(process.execPath, [fileURLToPath(new URL('../../bench/train.js', import.meta.url)), String(STEPS), 'pipelines/quickstart.yaml', '--workers', '1', '--hashes', ...SETS.flatMap((s) => ['--set', s])],
      { encoding: 'utf8', timeout: 240_000, env: plainChildEnv() });
    assert.equal(train.status, 0, train.stderr);
    const ran = JSON.parse(train.stdout).runs[0].batchHashes as string[];
    assert.equal(ran.length, STEPS);

    const { config } = await loadPipeline('pipelines/quickstart.yaml', [`trainer.steps=${STEPS}`, ...SETS]);
    await selectBackend('wasm');
    const dump = await writeAnchorDump(config, STEPS, join(dir, 'batches'));
    assert.deepEqual(dump.hashes, ran, 'the same batches in the same order');

    const side = JSON.parse(await readFile(dump.sidecar, 'utf8'));
    assert.equal(side.format, 'moeflow-anchor-batches/1');
    assert.deepEqual(side.shape, [STEPS, 2, 33]);
    assert.equal((await stat(side.file)).size, STEPS * 2 * 33 * 4, 'int32 per token');
    assert.equal(side.model.ffn.algorithm, 'moe_layer');
    const weights = decodeSafetensors(await readFile(side.init.file));
    const count = [...weights.tensors.values()].reduce((s, t) => s + t.data.length, 0);
    assert.equal(count, side.init.parameterCount);
    assert.ok(count > 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
