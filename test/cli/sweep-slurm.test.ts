/**
 * `pipeline sweep --executor slurm` on a real single-node Slurm cluster (test/support/slurm-cluster.ts):
 * a three-point router sweep of tiny runs is submitted as one array job, every point runs as a
 * Slurm task, and the compare job that waits for the array writes the comparison. Skips, saying
 * why, where Slurm is not installed or the test cannot run its daemons as root.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { sweepCommand } from '../../src/cli/sweep/command.js';
import type { Io } from '../../src/cli/shared/verb.js';
import { tinyPipeline } from '../integration/tiny-run.js';
import { slurmUnavailable, startSlurm } from '../support/slurm-cluster.js';

const why = slurmUnavailable();

test('a three-point router sweep runs as a Slurm array job and is compared when it ends', { skip: why ? `skipped: ${why}` : false, timeout: 420_000 }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'moeflow-sweep-slurm-'));
  const cluster = await startSlurm();
  const conf = process.env['SLURM_CONF'];
  process.env['SLURM_CONF'] = cluster.env['SLURM_CONF'];
  try {
    await writeFile(join(root, 'base.yaml'), tinyPipeline({ steps: 4, checkpointEvery: 2 }));
    const file = join(root, 'routers.yaml');
    await writeFile(file, `name: slurm-routers
base: base.yaml
out: out
grid:
  model.moe.algorithm: [moe_layer, moe_layer_xmoe, moe_layer_deepseekv2]
points:
  - when: { model.moe.algorithm: moe_layer_deepseekv2 }
    set: { model.moe.options: { selection_mode: gate, perplexity_reg_mode: deepseek, perplexity_reg: 0.01, n_group: 2, topk_group: 1 } }
eval: { tasks: [piqa, lambada], data: ${resolve('fixtures/eval/hf')} }
executor: { parallel: 2, slurm: { time: "00:10:00" } }
`);
    let err = '';
    const io: Io = { out: () => undefined, err: (s: string) => { err += s; } };
    assert.equal(await sweepCommand([file, '--executor', 'slurm'], io), 0, err);
    assert.match(err, /submitted array job \d+ \(3 points, at most 2 at once\) and compare job \d+ after it/);
    const out = join(root, 'out');
    const compared = join(out, 'compare', 'compare.md');
    for (let i = 0; i < 600 && !existsSync(compared); i++) await new Promise((r) => setTimeout(r, 500));
    const logs = async (): Promise<string> => (await readFile(join(out, 'slurm', 'compare.out'), 'utf8').catch(() => '(no compare.out)'));
    assert.ok(existsSync(compared), `no comparison after 300 s; compare job said: ${await logs()}`);
    const md = await readFile(compared, 'utf8');
    for (const r of ['moe_layer (gate)', 'moe_layer_xmoe (gate)', 'moe_layer_deepseekv2 (gate)']) assert.ok(md.includes(r), `${r} in\n${md}`);
    for (const id of ['algorithm-moe_layer', 'algorithm-moe_layer_xmoe', 'algorithm-moe_layer_deepseekv2']) {
      const s = JSON.parse(await readFile(join(out, 'points', id, 'status.json'), 'utf8'));
      assert.equal(s.state, 'done', id);
    }
    // Each point ran as a task of the array, with its own Slurm log.
    for (const i of [0, 1, 2]) assert.ok(existsSync(join(out, 'slurm', `point-${i}.out`)), `slurm/point-${i}.out`);
  } finally {
    if (conf === undefined) delete process.env['SLURM_CONF'];
    else process.env['SLURM_CONF'] = conf;
    await cluster.stop();
    await rm(root, { recursive: true, force: true });
  }
});
