/**
 * What the benches need to run a Python anchor (../shared/anchors, Debian's interpreter) the
 * same way: where the shared folder is, whether torch is installed, and the environment the
 * anchors run in — OpenBLAS's OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, as the project's
 * rules ask of every Python anchor, whatever the caller's shell exports.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const PYTHON = '/usr/bin/python3';

/** The shared folder: ../shared beside the repository (CI's layout), or $MOEFLOW_SHARED. */
export function sharedDir(): string {
  return process.env['MOEFLOW_SHARED'] ?? join(process.cwd(), '..', 'shared');
}

/** The environment a Python anchor runs in: this process's, without OpenBLAS's two tuning variables. */
export function anchorEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['OPENBLAS_CORETYPE'];
  delete env['OPENBLAS_L2_SIZE'];
  return env;
}

/** Why PyTorch cannot run here, or undefined when `import torch` works. */
export function torchProblem(): string | undefined {
  return spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0
    ? undefined
    : 'Debian python3-torch is not installed (apt-get install python3-torch libopenblas0-pthread)';
}
