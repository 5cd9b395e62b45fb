/**
 * What the cluster executors submit. Every task runs the same command,
 * `node bin/pipeline.js sweep point SWEEP_DIR INDEX`, with the index from the engine:
 * Slurm's SLURM_ARRAY_TASK_ID, Kubernetes' JOB_COMPLETION_INDEX, or one Ray job per point.
 * The sweep folder, the project and its data must be on storage every task can reach.
 */
import type { SweepPlan } from './plan.js';
import type { K8sOptions, RayOptions, SlurmOptions } from './sweep-file.js';

/** `'a b'` → `'a b'` quoted for sh. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./=:,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * One `sbatch` array job over the points still to run (`--array=i,j,...%P`: at most P at once),
 * a log per task under slurm/.
 */
export function slurmArrayScript(o: { plan: SweepPlan; sweepDir: string; bin: string; indices: readonly number[]; parallel: number; slurm: SlurmOptions }): string {
  const s = o.slurm;
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=moeflow-${o.plan.name}`,
    `#SBATCH --array=${o.indices.join(',')}%${o.parallel}`,
    `#SBATCH --output=${o.sweepDir}/slurm/point-%a.out`,
    ...(s.partition ? [`#SBATCH --partition=${s.partition}`] : []),
    ...(s.account ? [`#SBATCH --account=${s.account}`] : []),
    ...(s.time ? [`#SBATCH --time=${s.time}`] : []),
    ...(s.cpusPerTask ? [`#SBATCH --cpus-per-task=${s.cpusPerTask}`] : []),
    ...(s.mem ? [`#SBATCH --mem=${s.mem}`] : []),
    ...(s.gpus ? [`#SBATCH --gpus=${s.gpus}`] : []),
    ...(s.extra ?? []).map((x) => `#SBATCH ${x}`),
    '# Written by pipeline sweep: task i runs point i of sweep.json (SLURM_ARRAY_TASK_ID).',
    'set -euo pipefail',
    `cd ${shellQuote(o.plan.cwd)}`,
    `exec ${shellQuote(process.execPath)} ${shellQuote(o.bin)} sweep point ${shellQuote(o.sweepDir)} "$SLURM_ARRAY_TASK_ID"`,
    '',
  ];
  return lines.join('\n');
}

/** The job that compares the points once the array has ended (sbatch --dependency=afterany). */
export function slurmCompareScript(o: { plan: SweepPlan; sweepDir: string; bin: string; slurm: SlurmOptions }): string {
  return [
    '#!/bin/bash',
    `#SBATCH --job-name=moeflow-${o.plan.name}-compare`,
    `#SBATCH --output=${o.sweepDir}/slurm/compare.out`,
    ...(o.slurm.partition ? [`#SBATCH --partition=${o.slurm.partition}`] : []),
    ...(o.slurm.account ? [`#SBATCH --account=${o.slurm.account}`] : []),
    'set -euo pipefail',
    `cd ${shellQuote(o.plan.cwd)}`,
    `exec ${shellQuote(process.execPath)} ${shellQuote(o.bin)} sweep compare ${shellQuote(o.sweepDir)}`,
    '',
  ].join('\n');
}

/** A Kubernetes Indexed Job: completion index i runs point i; `parallel` pods at once. */
export function k8sIndexedJob(o: { plan: SweepPlan; sweepDir: string; bin: string; parallel: number; k8s: K8sOptions; fingerprint: string }): Record<string, unknown> {
  const k = o.k8s;
  const limits: Record<string, string | number> = {};
  if (k.cpu) limits['cpu'] = k.cpu;
  if (k.memory) limits['memory'] = k.memory;
  if (k.gpus) limits['nvidia.com/gpu'] = k.gpus;
  const n = o.plan.points.length;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `moeflow-${o.plan.name.toLowerCase().replace(/[^a-z0-9-]/g, '-')}-${o.fingerprint.slice(0, 8)}`.slice(0, 63),
      ...(k.namespace ? { namespace: k.namespace } : {}),
      labels: { 'app.kubernetes.io/name': 'moeflow', 'moeflow/sweep': o.plan.name.toLowerCase().replace(/[^a-z0-9-]/g, '-') },
    },
    spec: {
      completionMode: 'Indexed',
      completions: n,
      parallelism: Math.min(o.parallel, n),
      // A failed point is retried by re-submitting the sweep (it resumes from its checkpoint).
      backoffLimit: n,
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [{
            name: 'point',
            image: k.image,
            workingDir: o.plan.cwd,
            command: ['sh', '-c', `exec node ${shellQuote(o.bin)} sweep point ${shellQuote(o.sweepDir)} "$JOB_COMPLETION_INDEX"`],
            ...(Object.keys(limits).length ? { resources: { limits } } : {}),
            ...(k.volumeClaim ? { volumeMounts: [{ name: 'sweep', mountPath: k.mountPath ?? o.plan.cwd }] } : {}),
          }],
          ...(k.volumeClaim ? { volumes: [{ name: 'sweep', persistentVolumeClaim: { claimName: k.volumeClaim } }] } : {}),
        },
      },
    },
  };
}

/** One Ray job submission (POST /api/jobs/) per point. */
export function rayJobRequests(o: { plan: SweepPlan; sweepDir: string; bin: string; indices: readonly number[]; ray: RayOptions; fingerprint: string; stamp: string }): Record<string, unknown>[] {
  return o.indices.map((i) => ({
    entrypoint: `cd ${shellQuote(o.plan.cwd)} && node ${shellQuote(o.bin)} sweep point ${shellQuote(o.sweepDir)} ${i}`,
    // A Ray submission id is used once: the submission's stamp keeps re-submissions distinct.
    submission_id: `moeflow-${o.plan.name}-${o.fingerprint.slice(0, 8)}-${i}-${o.stamp}`,
    ...(o.ray.workingDir ? { runtime_env: { working_dir: o.ray.workingDir } } : {}),
    ...(o.ray.numCpus ? { entrypoint_num_cpus: o.ray.numCpus } : {}),
    ...(o.ray.numGpus ? { entrypoint_num_gpus: o.ray.numGpus } : {}),
    metadata: { moeflow_sweep: o.plan.name, moeflow_point: o.plan.points[i]!.id },
  }));
}
