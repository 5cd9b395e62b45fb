/** Runs one model-level golden case on one backend, with a leak check; shared by the test and the CLI. */
import { useTolerancesFor, type GoldenBackend } from '../backend-tolerance.js';
import { selectBackend } from '../../../src/models/backend.js';
import { tf } from '../../../src/models/tf.js';
import type { CaseResult } from '../suite.js';
import type { ModelCase } from './model-case.js';
import { MODEL_RUNNERS } from './runners.js';

export async function runModelCase(backend: GoldenBackend, c: ModelCase): Promise<CaseResult> {
  const runner = MODEL_RUNNERS[c.kind];
  if (!runner) return { id: c.id, backend, checks: [], error: `${c.file}: no runner for model-level kind '${c.kind}' (moeflow does not build this component yet)`, ok: false };
  await selectBackend(backend);
  const live = tf.memory().numTensors;
  try {
    const checks = await runner(c);
    const leaked = tf.memory().numTensors - live;
    if (leaked > 0) checks.push({ name: 'no leaked tensors', ok: false, detail: `${leaked} tensors left after the case` });
    return { id: c.id, backend, checks, ok: checks.length > 0 && checks.every((k) => k.ok) };
  } catch (e) {
    return { id: c.id, backend, checks: [], error: (e as Error).stack ?? String(e), ok: false };
  }
}
