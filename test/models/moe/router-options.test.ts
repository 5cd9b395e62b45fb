import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { selectBackend } from '../../../src/models/backend.js';
import { tf, type Tensor3D } from '../../../src/models/tf.js';
import { createMoeLayer, expertKindFor, moeAlgorithms, routerCatalog, routerOptions } from '../../../src/models/moe/registry.js';
import { expertSpec } from '../../../src/models/moe/experts/registry.js';
import type { Json } from '../../../src/base/json.js';
import type { MoeLayerSpec } from '../../../src/models/moe/types.js';

function spec(algorithm: string, options: Record<string, Json> = {}): MoeLayerSpec {
  return { algorithm, dModel: 8, nExperts: 8, topK: 2, expert: expertSpec(expertKindFor(algorithm), 6), options, seed: 4, name: `opt.${algorithm}.` };
}

test('a layer refuses an option its router does not declare, naming the key, the router and the closest declared option', () => {
  assert.throws(() => createMoeLayer(spec('smoe', { bogus_option: 3 })), /unknown option 'bogus_option' for router smoe \(its options: balance_loss_coef, router_z_loss_coef, std_gate\)/);
  assert.throws(() => createMoeLayer(spec('moe_layer', { perplexity_regg: 0.1 })), /unknown option 'perplexity_regg' for router moe_layer; did you mean 'perplexity_reg'\?/);
  // An option of another router is unknown here: smoe has no LM regulariser, moe_layer no z-loss.
  assert.throws(() => createMoeLayer(spec('smoe', { perplexity_reg: 0.01 })), /unknown option 'perplexity_reg' for router smoe/);
  assert.throws(() => createMoeLayer(spec('moe_layer', { router_z_loss_coef: 0.01 })), /unknown option 'router_z_loss_coef' for router moe_layer/);
});

test('a declared option of the wrong type fails naming router and option', () => {
  assert.throws(() => createMoeLayer(spec('smoe', { std_gate: 'wide' })), /smoe: option std_gate must be a finite number, got "wide"/);
  assert.throws(() => createMoeLayer(spec('moe_layer_remoe', { lambda_clamp: [1] })), /moe_layer_remoe: option lambda_clamp must be \[low, high\]/);
  assert.throws(() => createMoeLayer(spec('smoe_plus_plus', { n_copy_experts: 1.5 })), /n_copy_experts must be a non-negative integer/);
});

test('every router declares each option once, with a type, a default and a one-line doc', () => {
  for (const algorithm of moeAlgorithms()) {
    const names = routerOptions(algorithm).map((o) => o.name);
    assert.equal(new Set(names).size, names.length, `${algorithm}: ${names.join(', ')}`);
    for (const o of routerOptions(algorithm)) {
      assert.ok(o.type.length > 0 && o.doc.length > 0 && !o.doc.includes('\n'), `${algorithm}.${o.name}`);
      assert.notEqual(o.default, undefined, `${algorithm}.${o.name}`);
    }
  }
  assert.deepEqual(routerCatalog().routerOptions['hyperrouter'], ['topk_min', 'topk_max']);
});

test('setting every declared option to its declared default changes nothing: the router reads the defaults it declares', async () => {
  await selectBackend('cpu');
  const x = tf.randomNormal([2, 3, 8], 0, 1, 'float32', 6) as Tensor3D;
  const ctx = { training: true, step: 3, totalSteps: 10 };
  for (const algorithm of moeAlgorithms()) {
    const defaults = Object.fromEntries(routerOptions(algorithm).map((o) => [o.name, o.default]));
    const run = (options: Record<string, Json>): Float32Array[] => {
      const layer = createMoeLayer(spec(algorithm, options));
      const out = tf.tidy(() => {
        const o = layer.apply(x, ctx);
        return [o.y.dataSync() as Float32Array, o.auxTotal.dataSync() as Float32Array];
      });
      const params = [...layer.variables.values()].map((v) => v.dataSync() as Float32Array);
      layer.dispose();
      return [...out, ...params];
    };
    assert.deepEqual(run(defaults), run({}), algorithm);
  }
  x.dispose();
});

test('docs/routers.md lists every declared option of every router with its type and default', () => {
  const doc = readFileSync('docs/routers.md', 'utf8');
  const start = doc.indexOf('## Router options');
  assert.ok(start >= 0, 'docs/routers.md has a "Router options" section');
  const section = doc.slice(start).split('\n## ')[0]!;
  for (const algorithm of moeAlgorithms()) {
    const heading = `#### \`${algorithm}\``;
    assert.ok(section.includes(heading), heading);
    const table = section.slice(section.indexOf(heading) + heading.length).split('\n#### ')[0]!;
    for (const o of routerOptions(algorithm)) {
      const row = `| \`${o.name}\` | ${o.type} | ${JSON.stringify(o.default)} |`;
      assert.ok(table.includes(row), `${algorithm}: ${row}`);
    }
  }
});
