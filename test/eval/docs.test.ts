import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { evalTaskNames } from '../../src/eval/tasks/registry.js';
import { EVAL_ITEMS } from '../../src/sinks/tables/eval-items.js';
import { EVAL_RESULTS } from '../../src/sinks/tables/eval-results.js';
import { EVAL_ROUTES, EVAL_ROUTING } from '../../src/sinks/tables/eval-routing.js';
import { EVAL_VLM_ITEMS, EVAL_VLM_ROUTING } from '../../src/sinks/tables/eval-vlm.js';

const doc = readFileSync('docs/eval.md', 'utf8');
const ARROW = { int16: 'int16', int32: 'int32', int64: 'int64', float32: 'float32', float64: 'float64', timestamp_ms: 'timestamp[ms, UTC]', dict: 'dictionary<int32, utf8>', 'list<int16>': 'list<int16>', 'list<float32>': 'list<float32>' } as const;
const DUCKDB = { int16: 'SMALLINT', int32: 'INTEGER', int64: 'BIGINT', float32: 'FLOAT', float64: 'DOUBLE', timestamp_ms: 'TIMESTAMP WITH TIME ZONE', dict: 'VARCHAR', 'list<int16>': 'SMALLINT[]', 'list<float32>': 'FLOAT[]' } as const;

test('docs/eval.md documents every column of the evaluation tables with its Arrow and DuckDB types', () => {
  for (const spec of [EVAL_RESULTS, EVAL_ITEMS, EVAL_ROUTING, EVAL_ROUTES, EVAL_VLM_ITEMS, EVAL_VLM_ROUTING]) {
    const heading = `#### \`${spec.path}-NNNNN.parquet\``;
    assert.ok(doc.includes(heading), spec.path);
    const section = doc.slice(doc.indexOf(heading)).split('\n#')[0]!;
    for (const c of spec.columns) assert.ok(section.includes(`| \`${c.name}\` | ${ARROW[c.type]} | ${DUCKDB[c.type]} |`), `${spec.path}.${c.name}`);
  }
});

test('docs/eval.md lists every registered task', () => {
  for (const name of evalTaskNames()) assert.ok(doc.includes(`\`${name}\``), name);
});
