import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goldenDir } from './golden-format.js';
import { describeFailure, listCases, runOnBackend } from './suite.js';
import { registryName } from './case-spec.js';
import { moeAlgorithms } from '../../src/models/moe/registry.js';

/**
 * LibMoE parity: every case in GOLDEN_DIR (default ../shared/golden, else the fixtures copy)
 * must reproduce LibMoE's selections, gate weights, router internals, output, each aux loss,
 * objective, all gradients and state updates within README §3 tolerances, on cpu and wasm.
 */
const { dir, why } = goldenDir();
const cases = listCases(dir);

test(`golden directory ${dir} (${why}) holds cases`, () => {
  assert.ok(cases.length > 0);
});

for (const backend of ['cpu', 'wasm'] as const) {
  for (const c of cases) {
    // TEMPORARY while the remaining routers land on this branch: skip, never pass, unknown ones.
    const pending = !moeAlgorithms().includes(registryName(c));
    test(`[${backend}] ${c.id} matches LibMoE`, { skip: pending ? `${registryName(c)} not implemented yet` : false }, async () => {
      const r = await runOnBackend(backend, c);
      assert.ok(r.ok, describeFailure(r));
    });
  }
}
