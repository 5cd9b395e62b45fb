import type { Flow, Json, Stage } from './stage.js';

/** A source over an in-memory array; its state is the index of the next item. Handy in tests and examples. */
export function fromArray<T>(items: readonly T[]): Flow<T> {
  return (resume) => {
    let next = typeof resume === 'number' ? resume : 0;
    if (resume !== undefined && typeof resume !== 'number') {
      throw new Error(`fromArray: resume state must be a number, got ${JSON.stringify(resume)}`);
    }
    const stage: Stage<T> = {
      state: (): Json => next,
      async *[Symbol.asyncIterator]() {
        while (next < items.length) yield items[next++]!;
      },
    };
    return stage;
  };
}
