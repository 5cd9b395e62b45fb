import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Flow, Json, Stage, StageState } from '../../src/streams/stage.js';
import type { TextRecord } from '../../src/ops/items/text-record.js';

import { drain } from '../support/drain.js';

export { drain };

/** What a checkpoint does to a state: JSON out and back. */
export function roundTrip(state: StageState): StageState {
  return JSON.parse(JSON.stringify(state)) as Json;
}

/**
 * The resume contract for one flow: read `first` items, save, rebuild from the JSON state,
 * read `second` more, save again, rebuild, read the rest; the concatenation must equal an
 * uninterrupted run.
 */
export async function assertResumesExactly<T>(flow: Flow<T>, first: number, second: number): Promise<T[]> {
  const whole = await drain(flow());
  const a = flow();
  const head = await drain(a, first);
  const b = flow(roundTrip(a.state()));
  const middle = await drain(b, second);
  const c = flow(roundTrip(b.state()));
  const rest = await drain(c);
  assert.deepStrictEqual([...head, ...middle, ...rest], whole, `resume after ${first} then ${second} items differs from one run`);
  return whole;
}

const DOMAINS = ['RedPajamaC4', 'RedPajamaGithub', 'RedPajamaWikipedia', 'RedPajamaArXiv'] as const;
const WORDS = ['the', 'router', 'sends', 'each', 'token', 'to', 'two', 'experts', 'and', 'balance', 'loss', 'keeps',
  'load', 'even', 'while', 'gates', 'learn', 'which', 'expert', 'fits', 'code', 'math', 'prose', 'data'];

/** Deterministic little documents with varied lengths, digits and domains. */
export function textRecords(count: number, file = 'fixture.jsonl'): TextRecord[] {
  const out: TextRecord[] = [];
  let x = 12345;
  const next = (n: number): number => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return (x >>> 8) % n; };
  for (let i = 0; i < count; i++) {
    const words: string[] = [];
    const len = 1 + next(40);
    for (let w = 0; w < len; w++) words.push(next(7) === 0 ? String(next(100000)) : WORDS[next(WORDS.length)]!);
    out.push({ text: words.join(next(5) === 0 ? '\n' : ' '), domain: DOMAINS[next(DOMAINS.length)]!, provenance: { file, line: i + 1 } });
  }
  return out;
}

/** Forces a full GC (node --expose-gc not needed). */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/**
 * A file under the shared data folder (`<repo>/../shared`, or `$MOEFLOW_SHARED` for checkouts
 * that live elsewhere), or undefined when it is absent: callers skip with a message then.
 */
export function sharedPath(rel: string): string | undefined {
  const root = process.env['MOEFLOW_SHARED'] ?? fileURLToPath(new URL('../../../../shared', import.meta.url));
  const path = join(root, rel);
  return existsSync(path) ? path : undefined;
}
