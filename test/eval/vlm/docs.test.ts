import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { vlmTaskNames } from '../../../src/eval/vlm/tasks/registry.js';

const doc = readFileSync('docs/eval.md', 'utf8');
const vlm = doc.slice(doc.indexOf("## VLM tasks (lmms-eval's formats)"));

test("docs/eval.md's VLM section lists every VLM task and the fields each reads", () => {
  assert.ok(doc.includes("## VLM tasks (lmms-eval's formats)"));
  for (const name of vlmTaskNames()) assert.ok(vlm.includes(`| \`${name}\` |`), name);
  for (const field of ['question_id', 'question', 'answer', 'image', 'category', 'image_source', 'choices', 'hint', 'subject']) assert.ok(vlm.includes(`\`${field}\``), field);
});
