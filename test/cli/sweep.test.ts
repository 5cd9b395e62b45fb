/**
 * `pipeline sweep`: a grid expands into validated points with stable ids; the local executor
 * runs them in a bounded pool, skips finished points and resumes failed ones on re-submission,
 * and compares them at the end; bad sweep files and foreign sweep folders are refused before
 * anything runs; the Slurm, Kubernetes and Ray executors write and submit what those engines
 * document (a stand-in sbatch, the Indexed Job manifest, a stand-in Jobs API server).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { sweepCommand } from '../../src/cli/sweep/command.js';
import { planSweep } from '../../src/cli/sweep/plan.js';
import { parseSweepFile } from '../../src/cli/sweep/sweep-file.js';
import type { Io } from '../../src/cli/shared/verb.js';
import { tinyPipeline } from '../integration/tiny-run.js';

const EVAL_DATA = resolve('fixtures/eval/hf');
let root: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'moeflow-sweep-'));
  await writeFile(join(root, 'base.yaml'), tinyPipeline({ steps: 4, checkpointEvery: 2 }));
});
after(async () => { await rm(root, { recursive: true, force: true }); });

function capture(): Io & { outText: () => string; errText: () => string } {
  let out = '';
  let err = '';
  return { out: (s: string) => { out += s; }, err: (s: string) => { err += s; }, outText: () => out, errText: () => err } as never;
}

async function sweepFile(name: string, body: string): Promise<string> {
  const file = join(root, `${name}.yaml`);
  await writeFile(file, `name: ${name}\nbase: base.yaml\nout: ${name}-out\n${body}`);
  return file;
}

const ROUTERS = `grid:
  model.moe.algorithm: [moe_layer, moe_layer_xmoe, moe_layer_deepseekv2]
set: { trainer.seed: 7 }
points:
  - when: { model.moe.algorithm: moe_layer_deepseekv2 }
    set: { model.moe.options: { selection_mode: gate, perplexity_reg_mode: deepseek, perplexity_reg: 0.01, n_group: 2, topk_group: 1 } }
eval: { tasks: [piqa, lambada], data: ${EVAL_DATA} }
executor: { parallel: 2 }
`;

describe('sweep plan', () => {
  it('expands the grid in file order (last key fastest) with stable ids, every point\'s overrides and its eval', async () => {
    const text = `name: g\nbase: base.yaml\ngrid:\n  model.moe.algorithm: [moe_layer, moe_layer_xmoe]\n  trainer.seed: [1, 2]\nset: { trainer.steps: 3 }\npoints:\n  - when: { trainer.seed: 2 }\n    set: { trainer.lr: 0.001 }\n`;
    const plan = await planSweep(parseSweepFile(text, join(root, 'g.yaml')));
    assert.deepEqual(plan.points.map((p) => p.id), ['algorithm-moe_layer.seed-1', 'algorithm-moe_layer.seed-2', 'algorithm-moe_layer_xmoe.seed-1', 'algorithm-moe_layer_xmoe.seed-2']);
    assert.deepEqual(plan.points[1]!.sets, ['name="g.algorithm-moe_layer.seed-2"', 'trainer.steps=3', 'model.moe.algorithm="moe_layer"', 'trainer.seed=2', 'trainer.lr=0.001']);
    assert.equal(plan.points[2]!.sets.includes('trainer.lr=0.001'), false);
  });

  it('--dry-run prints the plan and writes nothing', async () => {
    const file = await sweepFile('dry', ROUTERS);
    const io = capture();
    assert.equal(await sweepCommand([file, '--dry-run'], io), 0, io.errText());
    assert.match(io.outText(), /3 points from .*base\.yaml/);
    assert.match(io.outText(), /2 {2}algorithm-moe_layer_deepseekv2\n.*perplexity_reg_mode":"deepseek"/);
    assert.equal(existsSync(join(root, 'dry-out')), false);
  });

  it('the shipped sweep file (pipelines/sweeps/routers.yaml, the README\'s example) plans its three routers', async () => {
    const io = capture();
    assert.equal(await sweepCommand([resolve('pipelines/sweeps/routers.yaml'), '--dry-run', '--out', join(root, 'shipped-out')], io), 0, io.errText());
    assert.match(io.outText(), /3 points from .*pipelines\/quickstart\.yaml/);
    for (const id of ['algorithm-moe_layer', 'algorithm-moe_layer_xmoe', 'algorithm-moe_layer_deepseekv2']) assert.match(io.outText(), new RegExp(`\\d {2}${id}\\n`));
  });

  it('a misspelt grid key is an error naming it, before the sweep folder exists', async () => {
    const file = await sweepFile('typo', 'grid:\n  model.moe.algoritm: [moe_layer, moe_layer_xmoe]\n');
    const io = capture();
    assert.equal(await sweepCommand([file], io), 2);
    assert.match(io.errText(), /invalid sweep file[\s\S]*model\.moe\.algoritm[\s\S]*\(in 2 of 2 points\)/);
    assert.equal(existsSync(join(root, 'typo-out')), false);
  });

  it('a router option value a point\'s router would refuse is named before anything runs', async () => {
    const file = await sweepFile('badvalue', 'grid:\n  model.moe.algorithm: [moe_layer, moe_layer_xmoe]\nset: { model.moe.options.perplexity_reg_mode: standard }\n');
    const io = capture();
    assert.equal(await sweepCommand([file], io), 2);
    assert.match(io.errText(), /moe_layer_xmoe: option perplexity_reg_mode must be one of step, time, global, got "standard" \(in 1 of 2 points\)/);
    assert.equal(existsSync(join(root, 'badvalue-out')), false);
  });

  it('unknown keys in the sweep file, a grid that is not a list and a `when` outside the grid are named', async () => {
    const file = await sweepFile('bad', 'grdi: {}\ngrid:\n  trainer.seed: 3\npoints:\n  - when: { trainer.lr: 1 }\n    set: {}\nexecutor: { paralel: 2 }\n');
    const io = capture();
    assert.equal(await sweepCommand([file], io), 2);
    const err = io.errText();
    assert.match(err, /unknown key "grdi" \(did you mean "grid"\?\)/);
    assert.match(err, /grid\.trainer\.seed: a non-empty list of values/);
    assert.match(err, /points\[0\]\.when: "trainer\.lr" is not a grid key/);
    assert.match(err, /executor: unknown key "paralel"/);
  });
});

describe('local executor', () => {
  it('runs every point, compares them, skips finished points and resumes failed ones when re-submitted', async () => {
    const file = await sweepFile('routers', ROUTERS);
    const out = join(root, 'routers-out');
    const io = capture();
    assert.equal(await sweepCommand([file], io), 0, io.errText());
    assert.match(io.errText(), /3 points, 0 finished, 3 to run \(local\)/);
    assert.match(io.outText(), /\| routers\.algorithm-moe_layer-\d{8}-\d{6} \| moe_layer \(gate\)/);
    for (const f of ['compare.md', 'compare.csv', 'compare.parquet', 'compare.png']) assert.ok(existsSync(join(out, 'compare', f)), f);

    const status = capture();
    assert.equal(await sweepCommand(['status', out], status), 0);
    assert.equal(status.outText().match(/\| done \| 1 \| 4 \| \d\.\d{4} \|/g)?.length, 3, status.outText());

    // Re-submitting a finished sweep runs nothing.
    const again = capture();
    assert.equal(await sweepCommand([file], again), 0, again.errText());
    assert.match(again.errText(), /3 points, 3 finished, 0 to run/);

    // A point marked failed after its checkpoint resumes from it (and only it runs).
    const point = join(out, 'points', 'algorithm-moe_layer_xmoe');
    const s = JSON.parse(await readFile(join(point, 'status.json'), 'utf8'));
    await writeFile(join(point, 'status.json'), JSON.stringify({ ...s, state: 'failed' }));
    const resumed = capture();
    assert.equal(await sweepCommand([file], resumed), 0, resumed.errText());
    assert.match(resumed.errText(), /3 points, 2 finished, 1 to run/);
    assert.match(await readFile(join(point, 'log.txt'), 'utf8'), /attempt 2: pipeline run --resume /);
  });

  it('a failing point is reported with its log and does not stop the others; the sweep exits 1', async () => {
    // A grid value is a scalar: a list of files belongs in a point's set.
    const lists = await sweepFile('partial', 'grid:\n  data.files: [[a.jsonl], [b.jsonl]]\n');
    const io = capture();
    assert.equal(await sweepCommand([lists], io), 2);
    assert.match(io.errText(), /grid\.data\.files\[0\]: a grid value is a string, number, boolean or null/);
    const ok = await sweepFile('partial2', `grid:\n  trainer.seed: [1, 2]\npoints:\n  - when: { trainer.seed: 2 }\n    set: { data.files: ["${root}/missing/*.jsonl.zst"] }\n`);
    const run = capture();
    assert.equal(await sweepCommand([ok], run), 1);
    assert.match(run.errText(), /\[1\/2\] seed-1 done/);
    assert.match(run.errText(), /seed-2 FAILED \(exit 2\); last lines of .*log\.txt:\n[\s\S]*matches no file/);
    assert.match(run.errText(), /1 of 2 points failed \(seed-2\)/);
  });

  it('refuses a sweep folder written by a different sweep file', async () => {
    const file = await sweepFile('owner', 'grid:\n  trainer.seed: [1]\n');
    const io = capture();
    assert.equal(await sweepCommand([file, '--dry-run'], io), 0);
    await mkdir(join(root, 'owner-out'), { recursive: true });
    await writeFile(join(root, 'owner-out', 'sweep.json'), JSON.stringify({ fingerprint: 'somethingelse', sweepFile: '/elsewhere/other.yaml', plan: {} }));
    const refused = capture();
    assert.equal(await sweepCommand([file], refused), 2);
    assert.match(refused.errText(), /holds the sweep written by \/elsewhere\/other\.yaml/);
  });
});

describe('cluster executors', () => {
  it('slurm: one sbatch array over the points to run (at most `parallel` at once) and a compare job after it', async () => {
    const bin = join(root, 'fake-bin');
    await mkdir(bin, { recursive: true });
    const calls = join(root, 'sbatch-calls.txt');
    await writeFile(join(bin, 'sbatch'), `#!/bin/sh\necho "$@" >> ${calls}\necho "4242;cluster"\n`);
    await chmod(join(bin, 'sbatch'), 0o755);
    const file = await sweepFile('slurmy', 'grid:\n  trainer.seed: [1, 2, 3]\nexecutor: { parallel: 2, slurm: { partition: gpu, time: "01:00:00", gpus: 1, cpusPerTask: 8 } }\n');
    const path = process.env['PATH'];
    process.env['PATH'] = `${bin}:${path}`;
    try {
      const io = capture();
      assert.equal(await sweepCommand([file, '--executor', 'slurm'], io), 0, io.errText());
      assert.equal(io.outText(), '4242\n');
    } finally {
      process.env['PATH'] = path;
    }
    const script = await readFile(join(root, 'slurmy-out', 'slurm', 'points.sbatch'), 'utf8');
    for (const line of ['#SBATCH --array=0,1,2%2', '#SBATCH --partition=gpu', '#SBATCH --time=01:00:00', '#SBATCH --gpus=1', '#SBATCH --cpus-per-task=8']) assert.ok(script.includes(line), line);
    assert.match(script, /bin\/pipeline\.js sweep point .*slurmy-out "\$SLURM_ARRAY_TASK_ID"/);
    const lines = (await readFile(calls, 'utf8')).trim().split('\n');
    assert.match(lines[0]!, /^--parsable .*points\.sbatch$/);
    assert.match(lines[1]!, /^--parsable --dependency=afterany:4242 .*compare\.sbatch$/);
  });

  it('slurm without sbatch on PATH is a clear error', async () => {
    const file = await sweepFile('noslurm', 'grid:\n  trainer.seed: [1]\n');
    const path = process.env['PATH'];
    process.env['PATH'] = join(root, 'empty-bin');
    try {
      const io = capture();
      assert.equal(await sweepCommand([file, '--executor', 'slurm'], io), 2);
      assert.match(io.errText(), /sbatch is not on PATH/);
    } finally {
      process.env['PATH'] = path;
    }
  });

  it('k8s: an Indexed Job whose completion index is the point, `parallel` pods at once, resources as asked', async () => {
    const file = await sweepFile('kube', 'grid:\n  trainer.seed: [1, 2, 3]\nexecutor: { parallel: 2, k8s: { image: "registry/moeflow:1", namespace: research, cpu: "8", memory: 32Gi, gpus: 1, volumeClaim: shared } }\n');
    const io = capture();
    assert.equal(await sweepCommand([file, '--executor', 'k8s'], io), 0, io.errText());
    const job = parseYaml(await readFile(join(root, 'kube-out', 'k8s', 'job.yaml'), 'utf8'));
    assert.equal(job.apiVersion, 'batch/v1');
    assert.equal(job.kind, 'Job');
    assert.match(job.metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    assert.equal(job.metadata.namespace, 'research');
    assert.equal(job.spec.completionMode, 'Indexed');
    assert.equal(job.spec.completions, 3);
    assert.equal(job.spec.parallelism, 2);
    const pod = job.spec.template.spec;
    assert.equal(pod.restartPolicy, 'Never');
    assert.equal(pod.containers[0].image, 'registry/moeflow:1');
    assert.match(pod.containers[0].command.join(' '), /sweep point .*kube-out "\$JOB_COMPLETION_INDEX"/);
    assert.deepEqual(pod.containers[0].resources.limits, { cpu: '8', memory: '32Gi', 'nvidia.com/gpu': 1 });
    assert.equal(pod.volumes[0].persistentVolumeClaim.claimName, 'shared');
    assert.match(io.errText(), /kubectl apply -f .*job\.yaml/);
  });

  it('ray: one POST /api/jobs/ per point with its entrypoint, a unique submission id and the resources', async () => {
    const got: { url: string; body: Record<string, unknown> }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        got.push({ url: `${req.method} ${req.url}`, body: JSON.parse(body) });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ job_id: 'raysubmit_x', submission_id: 'x' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const file = await sweepFile('rayed', 'grid:\n  trainer.seed: [1, 2]\nexecutor: { ray: { numCpus: 4, numGpus: 1 } }\n');
      const io = capture();
      assert.equal(await sweepCommand([file, '--executor', 'ray', '--ray-address', `http://127.0.0.1:${port}`], io), 0, io.errText());
    } finally {
      server.close();
    }
    assert.deepEqual(got.map((g) => g.url), ['POST /api/jobs/', 'POST /api/jobs/']);
    got.forEach((g, i) => {
      assert.match(String(g.body['entrypoint']), new RegExp(`sweep point .*rayed-out ${i}$`));
      assert.equal(g.body['entrypoint_num_cpus'], 4);
      assert.equal(g.body['entrypoint_num_gpus'], 1);
    });
    assert.notEqual(got[0]!.body['submission_id'], got[1]!.body['submission_id']);
  });
});

