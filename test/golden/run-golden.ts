/**
 * `npm run golden`: one PASS/FAIL line per golden case and backend, failures explained,
 * exit status 1 on any failure. GOLDEN_DIR=/some/folder picks the vectors; GOLDEN_BACKENDS
 * (comma list, default cpu,wasm) the backends; `webgpu` is accepted and compared with the looser
 * fp32-GPU tolerances of backend-tolerance.ts (docs/gpu.md).
 */
import type { GoldenBackend } from './backend-tolerance.js';
import { goldenDir } from './golden-format.js';
import { describeFailure, listCases, runOnBackend } from './suite.js';
import { listImageCases, runImageCase } from './image-case.js';
import { listModelCases } from './model/model-case.js';
import { runModelCase } from './model/run-model-case.js';

// node --test runs every .js under a test/ folder; golden.test.ts covers this there.
if (process.env['NODE_TEST_CONTEXT']) process.exit(0);

const { dir, why } = goldenDir();
const backends = (process.env['GOLDEN_BACKENDS'] ?? 'cpu,wasm').split(',').map((b) => b.trim()) as GoldenBackend[];
console.log(`golden vectors: ${dir} (${why}); backends: ${backends.join(', ')}`);
let failed = 0;
let total = 0;
for (const c of listCases(dir)) {
  for (const b of backends) {
    total++;
    const r = await runOnBackend(b, c);
    console.log(`${r.ok ? 'PASS' : 'FAIL'} [${b}] ${c.id} (${r.checks.length} checks)`);
    if (!r.ok) {
      failed++;
      for (const line of describeFailure(r).split('\n')) console.log(`     ${line}`);
    }
  }
}
// Model-level cases (README §9): a component moeflow does not build yet fails, naming it.
for (const c of listModelCases(dir)) {
  for (const b of backends) {
    total++;
    const r = await runModelCase(b, c);
    console.log(`${r.ok ? 'PASS' : 'FAIL'} [${b}] ${c.id} (${r.checks.length} checks)`);
    if (!r.ok) {
      failed++;
      for (const line of describeFailure(r).split('\n')) console.log(`     ${line}`);
    }
  }
}
// Image preprocessing cases: no tensors, so no backend; skipped when their image is absent.
let skipped = 0;
for (const c of listImageCases(dir)) {
  const r = await runImageCase(c);
  if (r.skipped) { skipped++; console.log(`SKIP [image] ${c.id}: ${r.skipped}`); continue; }
  total++;
  console.log(`${r.ok ? 'PASS' : 'FAIL'} [image] ${c.id} (${r.checks.length} checks)`);
  if (!r.ok) {
    failed++;
    for (const k of r.checks.filter((x) => !x.ok)) console.log(`     ${k.name}: ${k.detail}`);
  }
}
console.log(`${total - failed}/${total} passed${skipped ? `, ${skipped} image cases skipped (image absent)` : ''}`);
process.exit(failed === 0 ? 0 : 1);
