import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipe } from '../../src/streams/pipe.js';
import { fromArray } from '../../src/streams/from-array.js';
import { pack } from '../../src/ops/pack.js';
import type { PackedWindow } from '../../src/ops/items/packed-window.js';
import type { TokenizedDoc } from '../../src/ops/items/tokenized-doc.js';
import { assertResumesExactly, drain, roundTrip } from './helpers.js';

const SEP = 999;

function docs(lengths: readonly number[], domains: readonly string[] = ['a', 'b', 'c']): TokenizedDoc[] {
  let next = 1;
  return lengths.map((len, i) => ({
    ids: Int32Array.from({ length: len }, () => next++),
    domain: domains[i % domains.length]!,
    provenance: { file: 'f.jsonl', line: i + 1 },
    chars: len * 3,
    bytes: len * 3,
  }));
}

/** LibMoE's definition, written out naively: the stream, and window i = stream[i·L, i·L + L + 1). */
function reference(input: readonly TokenizedDoc[], seqLen: number) {
  const tokens: number[] = [];
  const docIndex: number[] = [];
  const domain: string[] = [];
  input.forEach((d, i) => {
    for (const t of [...d.ids, SEP]) { tokens.push(t); docIndex.push(i); domain.push(d.domain); }
  });
  const windows: { tokens: number[]; docs: number[]; domains: string[] }[] = [];
  for (let i = 0; i * seqLen + seqLen + 1 <= tokens.length; i++) {
    const s = i * seqLen;
    windows.push({ tokens: tokens.slice(s, s + seqLen + 1), docs: docIndex.slice(s, s + seqLen + 1), domains: domain.slice(s, s + seqLen + 1) });
  }
  return { windows, total: tokens.length };
}

const LENGTHS = [5, 0, 17, 3, 40, 1, 1, 9, 64, 2, 11, 30, 7, 0, 0, 25];

test('windows are seqLen + 1 stream tokens at stride seqLen, sharing one token, exactly as LibMoE cuts them', async () => {
  for (const seqLen of [1, 4, 8, 16, 100]) {
    const input = docs(LENGTHS);
    const out = await drain(pipe(fromArray(input), pack({ seqLen, separatorId: SEP }))());
    const ref = reference(input, seqLen);
    assert.equal(out.length, ref.windows.length, `seqLen ${seqLen}`);
    out.forEach((w, i) => {
      assert.deepEqual(Array.from(w.tokens), ref.windows[i]!.tokens, `seqLen ${seqLen} window ${i}`);
      assert.deepEqual(Array.from(w.domains, (d) => w.domainNames[d]), ref.windows[i]!.domains);
      assert.equal(w.index, i);
      if (i > 0) assert.equal(w.tokens[0], out[i - 1]!.tokens[seqLen], 'the last token of a window starts the next');
    });
  }
});

test('segment ids number the documents within each window, the separator belonging to its document', async () => {
  const input = docs(LENGTHS);
  const out = await drain(pipe(fromArray(input), pack({ seqLen: 8, separatorId: SEP, segmentIds: true }))());
  const ref = reference(input, 8);
  out.forEach((w, i) => {
    const docsInWindow = ref.windows[i]!.docs;
    const expected = docsInWindow.map((d) => d - docsInWindow[0]!);
    assert.deepEqual(Array.from(w.segmentIds!), expected, `window ${i}`);
  });
  const plain = await drain(pipe(fromArray(input), pack({ seqLen: 8, separatorId: SEP }))());
  assert.equal(plain[0]!.segmentIds, undefined, 'no segment ids unless asked');
});

test('stats reconcile: tokens in = packed + carried + dropped, no padding, efficiency = packed / in', async () => {
  const input = docs(LENGTHS);
  const stage = pipe(fromArray(input), pack({ seqLen: 8, separatorId: SEP }))();
  await drain(stage, 3);
  const mid = stage.stats!() as Record<string, number>;
  assert.equal(mid['tokensIn'], mid['tokensPacked']! + mid['tokensCarried']!);
  assert.equal(mid['tokensPacked'], 3 * 8);
  await drain(stage);
  const end = stage.stats!() as Record<string, number>;
  const ref = reference(input, 8);
  assert.equal(end['docs'], input.length);
  assert.equal(end['separators'], input.length);
  assert.equal(end['tokensIn'], ref.total);
  assert.equal(end['windows'], ref.windows.length);
  assert.equal(end['tokensIn'], end['tokensPacked']! + end['tokensCarried']! + end['tokensDropped']!);
  assert.equal(end['tokensCarried'], 0);
  assert.ok(end['tokensDropped']! >= 1 && end['tokensDropped']! <= 8, `tail ${end['tokensDropped']} must be shorter than a window`);
  assert.equal(end['paddingTokens'], 0);
  assert.equal(end['efficiency'], end['tokensPacked']! / end['tokensIn']!);
});

test('domain ids follow the configured order first, then first sight, and stay stable', async () => {
  const input = docs([3, 3, 3, 3], ['x', 'y']);
  const out = await drain(pipe(fromArray(input), pack({ seqLen: 4, separatorId: SEP, domains: ['y', 'z'] }))());
  assert.deepEqual(out.at(-1)!.domainNames, ['y', 'z', 'x']);
  assert.equal(out[0]!.domains[0], 2, 'first token is from domain x, id 2');
});

test('resuming pack from a saved state continues exactly, also twice in a row, at every window', async () => {
  const input = docs(LENGTHS);
  for (const seqLen of [3, 8, 50]) {
    const flow = pipe(fromArray(input), pack({ seqLen, separatorId: SEP, segmentIds: true }));
    const total = (await drain(flow())).length;
    for (let first = 0; first <= total; first++) {
      await assertResumesExactly(flow, first, 2);
    }
  }
});

test('the pack state stays small: it names where to re-read, not the carried tokens', async () => {
  const input = docs([5000, 5000, 5000]);
  const stage = pipe(fromArray(input), pack({ seqLen: 16, separatorId: SEP }))();
  await drain(stage, 100);
  const json = JSON.stringify(stage.state());
  assert.ok(json.length < 200, `state is ${json.length} chars: ${json}`);
});

test('a resume state that does not fit the input fails loudly, naming the document', async () => {
  const input = docs([4, 4, 4, 4]);
  const flow = pipe(fromArray(input), pack({ seqLen: 3, separatorId: SEP }));
  const bad = { local: { skip: 50, window: 1, domains: [] }, upstream: 0 };
  await assert.rejects(drain(flow(bad)), /skips 50 tokens but the document at f\.jsonl:1 has 5/);
  assert.throws(() => flow(roundTrip({ local: 'nope', upstream: 0 })), /pack: resume state must be/);
});

test('pack rejects nonsense options', () => {
  assert.throws(() => pack({ seqLen: 0, separatorId: 1 }), /seqLen must be a positive integer/);
  assert.throws(() => pack({ seqLen: 4, separatorId: -1 }), /separatorId/);
});

export type { PackedWindow };
