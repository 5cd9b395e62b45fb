import assert from 'node:assert/strict';
import type { Flow } from '../../../src/streams/stage.js';
import { drain, roundTrip } from './fixtures.js';

/**
 * For each (a, b): take a items, save the state (through JSON), rebuild, take b more, save again,
 * rebuild, take the rest. The three pieces must equal one uninterrupted run.
 */
export async function assertResumes<T>(flow: Flow<T>, cuts: readonly (readonly [number, number])[], label = ''): Promise<T[]> {
  const full = await drain(flow());
  for (const [a, b] of cuts) {
    const first = flow();
    const head = await drain(first, a);
    const second = flow(roundTrip(first.state()));
    const mid = await drain(second, b);
    const rest = await drain(flow(roundTrip(second.state())));
    assert.deepEqual([...head, ...mid, ...rest], full, `${label} resumed after ${a} then ${b} more`);
  }
  return full;
}
