/**
 * A real single-node Slurm cluster on localhost for tests: munged, slurmctld and slurmd from
 * Debian's `slurm-wlm` and `munge`, run as this machine's root with every file (config, key,
 * socket, state, logs) in a temporary folder and free ports, so nothing system-wide is touched.
 * `startSlurm()` says why not (packages absent, not root) instead of starting.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SlurmCluster {
  /** Environment for sbatch/squeue (SLURM_CONF). */
  readonly env: NodeJS.ProcessEnv;
  readonly dir: string;
  stop(): Promise<void>;
}

const BINARIES = ['/usr/sbin/munged', '/usr/sbin/mungekey', '/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/bin/sbatch', '/usr/bin/sinfo', '/usr/bin/scontrol'];

/** Why a cluster cannot be started here, or undefined when it can. */
export function slurmUnavailable(): string | undefined {
  const missing = BINARIES.filter((b) => !existsSync(b));
  if (missing.length > 0) return `Slurm is not installed (missing ${missing.join(', ')}; apt-get install slurm-wlm munge)`;
  if (process.getuid?.() !== 0) return 'the single-node Slurm cluster runs its daemons as root; this test runs as another user';
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startSlurm(): Promise<SlurmCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'moeflow-slurm-'));
  const host = hostname().split('.')[0]!;
  for (const d of ['state', 'spool', 'log', 'munge']) await mkdir(join(dir, d), { recursive: true });
  await chmod(join(dir, 'munge'), 0o700);
  const socket = join(dir, 'munge', 'munge.socket');
  const conf = join(dir, 'slurm.conf');
  const [ctldPort, dPort] = [await freePort(), await freePort()];
  await writeFile(conf, [
    'ClusterName=moeflow-test',
    `SlurmctldHost=${host}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    'AuthType=auth/munge',
    `AuthInfo=socket=${socket}`,
    `StateSaveLocation=${join(dir, 'state')}`,
    `SlurmdSpoolDir=${join(dir, 'spool')}`,
    `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
    `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
    `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
    `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
    `SlurmctldPort=${ctldPort}`,
    `SlurmdPort=${dPort}`,
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'JobAcctGatherType=jobacct_gather/none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core',
    'MpiDefault=none',
    'ReturnToService=2',
    `NodeName=${host} CPUs=2 RealMemory=2000 State=UNKNOWN`,
    `PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP`,
    '',
  ].join('\n'));
  const env = { ...process.env, SLURM_CONF: conf };
  const stop = async (): Promise<void> => {
    // Let running jobs end (a job step outlives its slurmd), then cancel what is left.
    for (let i = 0; i < 40; i++) {
      const { stdout } = await run('squeue', ['-h'], { env }).catch(() => ({ stdout: '' }));
      if (stdout.trim() === '') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await run('scancel', ['--full', '--user', 'root'], { env }).catch(() => undefined);
    await run('scontrol', ['shutdown'], { env }).catch(() => undefined);
    await run('/usr/sbin/munged', ['-s', '-S', socket]).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    // A job step that could not report to the stopped slurmd lingers: end this cluster's own.
    for (const pid of await readdir('/proc').catch(() => [] as string[])) {
      if (!/^\d+$/.test(pid)) continue;
      const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
      const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (cmd.startsWith('slurmstepd') && cwd.startsWith(dir)) process.kill(Number(pid), 'SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await run('/usr/sbin/mungekey', ['-c', '-f', '-k', join(dir, 'munge', 'munge.key')]);
    await chmod(join(dir, 'munge', 'munge.key'), 0o600);
    await run('/usr/sbin/munged', ['-f', '-S', socket, `--key-file=${join(dir, 'munge', 'munge.key')}`, `--log-file=${join(dir, 'munge', 'munged.log')}`,
      `--pid-file=${join(dir, 'munge', 'munged.pid')}`, `--seed-file=${join(dir, 'munge', 'munged.seed')}`]);
    await run('/usr/sbin/slurmctld', [], { env });
    await run('/usr/sbin/slurmd', [], { env });
    for (let i = 0; ; i++) {
      const { stdout } = await run('sinfo', ['-h', '-o', '%t'], { env }).catch(() => ({ stdout: '' }));
      if (/idle|mix|alloc/.test(stdout)) break;
      if (i > 60) throw new Error(`the Slurm node did not come up (sinfo: ${stdout.trim() || 'no answer'}); logs in ${join(dir, 'log')}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { env, dir, stop };
}
