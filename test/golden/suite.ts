/** Runs every golden case of a directory on one backend; shared by the test and the CLI. */
import { useTolerancesFor, type GoldenBackend } from './backend-tolerance.js';
import { selectBackend } from '../../src/models/backend.js';
import { tf } from '../../src/models/tf.js';
import type { Check } from './compare.js';
import { loadGoldenDir, type GoldenCase } from './golden-format.js';
import { runCase } from './run-case.js';

export interface CaseResult {
  readonly id: string;
  readonly backend: string;
  readonly checks: Check[];
  readonly error?: string;
  readonly ok: boolean;
}

export function listCases(dir: string): GoldenCase[] {
  return loadGoldenDir(dir).flatMap((f) => f.cases);
}

export async function runOnBackend(backend: GoldenBackend, c: GoldenCase): Promise<CaseResult> {
  useTolerancesFor(backend);
  await selectBackend(backend);
  const live = tf.memory().numTensors;
  try {
    const checks = await runCase(c);
    const leaked = tf.memory().numTensors - live;
    if (leaked > 0) checks.push({ name: 'no leaked tensors', ok: false, detail: `${leaked} tensors left after the case` });
    return { id: c.id, backend, checks, ok: checks.every((k) => k.ok) };
  } catch (e) {
    return { id: c.id, backend, checks: [], error: (e as Error).stack ?? String(e), ok: false };
  }
}

export function describeFailure(r: CaseResult): string {
  if (r.error) return r.error;
  return r.checks.filter((k) => !k.ok).map((k) => `${k.name}: ${k.detail}`).join('\n');
}
