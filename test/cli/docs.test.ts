import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DOMAINS, EVAL, EXPERTS, TOKENS, layersSpec, metricsSpec } from '../../src/sinks/stats-tables.js';
import { keysAt } from '../../src/config/issues.js';
import { pipelineSchema } from '../../src/config/schema.js';

const doc = readFileSync('docs/run.md', 'utf8');

test('docs/run.md documents every column of every statistics table', () => {
  for (const spec of [metricsSpec(['<name>']), EVAL, EXPERTS, layersSpec(['<name>']), DOMAINS, TOKENS]) {
    assert.ok(doc.includes(`\`${spec.path}-NNNNN.parquet\``), spec.path);
    for (const c of spec.columns) assert.ok(doc.includes(`| \`${c.name}\` |`), `${spec.path}.${c.name}`);
  }
});

test('docs/run.md documents every pipeline key', () => {
  for (const section of ['data', 'model', 'trainer', 'stats', 'out']) {
    for (const key of keysAt(pipelineSchema, [section])) assert.ok(doc.includes(`| \`${key}\` |`) || doc.includes(`| \`moe.`) && key === 'moe', `${section}.${key}`);
  }
  for (const key of keysAt(pipelineSchema, ['model', 'moe'])) assert.ok(doc.includes(`| \`moe.${key}\` |`), `model.moe.${key}`);
});
