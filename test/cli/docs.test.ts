import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { allTableSpecs } from '../../src/sinks/tables/all-tables.js';
import { keysAt } from '../../src/config/issues.js';
import { pipelineSchema } from '../../src/config/schema.js';
import { flowOpNames } from '../../src/ops/flow/registry.js';

const doc = readFileSync('docs/run.md', 'utf8');

const ARROW = { int16: 'int16', int32: 'int32', int64: 'int64', float32: 'float32', float64: 'float64', timestamp_ms: 'timestamp[ms, UTC]', dict: 'dictionary<int32, utf8>', 'list<int16>': 'list<int16>', 'list<float32>': 'list<float32>' } as const;
const DUCKDB = { int16: 'SMALLINT', int32: 'INTEGER', int64: 'BIGINT', float32: 'FLOAT', float64: 'DOUBLE', timestamp_ms: 'TIMESTAMP WITH TIME ZONE', dict: 'VARCHAR', 'list<int16>': 'SMALLINT[]', 'list<float32>': 'FLOAT[]' } as const;

test('docs/run.md documents every column of every statistics table with its Arrow and DuckDB types', () => {
  for (const spec of allTableSpecs(['<name>'])) {
    const heading = `#### \`${spec.path}-NNNNN.parquet\``;
    assert.ok(doc.includes(heading), spec.path);
    const section = doc.slice(doc.indexOf(heading)).split('\n#')[0]!;
    for (const c of spec.columns) {
      assert.ok(section.includes(`| \`${c.name}\` | ${ARROW[c.type]} | ${DUCKDB[c.type]} |`), `${spec.path}.${c.name}: ${c.type}`);
    }
  }
});

test('docs/run.md documents every pipeline key', () => {
  for (const section of ['data', 'model', 'trainer', 'stats', 'out']) {
    for (const key of keysAt(pipelineSchema, [section])) assert.ok(doc.includes(`| \`${key}\` |`) || doc.includes(`| \`moe.`) && key === 'moe', `${section}.${key}`);
  }
  for (const key of keysAt(pipelineSchema, ['model', 'moe'])) assert.ok(doc.includes(`| \`moe.${key}\` |`), `model.moe.${key}`);
});

test('docs/run.md and docs/operators.md document every operator data.flow may name', () => {
  const ops = readFileSync('docs/operators.md', 'utf8');
  for (const name of flowOpNames()) {
    assert.ok(doc.includes(`| \`${name}\` |`), `docs/run.md: ${name}`);
    assert.ok(ops.includes(`\`${name}\``), `docs/operators.md: ${name}`);
  }
});
