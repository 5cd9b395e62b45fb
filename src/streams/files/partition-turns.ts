/**
 * The global record order of a partitioned source and one consumer's share of it (the sharding
 * rule of docs/sources.md): partitions take turns in cyclic order, passing over exhausted ones,
 * each turn one slot (a record or a counted bad one); slot n of that order belongs to consumer
 * n mod count. SlimPajama and LLaVA sources read their files this way.
 *
 * The cursor is the source's resumable position: `slot` (slots of the global order so far) and
 * `turn` (the partition whose turn is next). Both have moved past a slot when it is yielded, so
 * a state taken while the consumer holds a slot resumes after it.
 */

/** A partition as the interleaving sees it: its next slot, read ahead in batches. */
export interface PartitionSlots<S> {
  /** null once the partition is exhausted (also at start, for an empty or finished one). */
  readonly position: unknown;
  /** The next slot; undefined when the read-ahead is empty (call fill), null at the end. */
  take(): S | undefined | null;
  fill(): Promise<void>;
}

export interface PartitionCursor {
  slot: number;
  turn: number;
}

export async function* consumerSlots<S>(readers: readonly PartitionSlots<S>[], cursor: PartitionCursor, consumer: { readonly index: number; readonly count: number }): AsyncGenerator<S> {
  const dead = readers.map((r) => r.position === null);
  let alive = dead.filter((d) => !d).length;
  // The next partition in cyclic order that is not exhausted.
  const advance = (): void => { do cursor.turn = (cursor.turn + 1) % readers.length; while (dead[cursor.turn] && alive > 0); };
  if (alive > 0 && dead[cursor.turn]) advance();
  while (alive > 0) {
    const reader = readers[cursor.turn]!;
    const s = reader.take();
    if (s === undefined) { await reader.fill(); continue; }
    if (s === null) {
      dead[cursor.turn] = true;
      alive--;
      advance();
      continue;
    }
    const mine = cursor.slot % consumer.count === consumer.index;
    cursor.slot++;
    advance();
    if (mine) yield s;
  }
}
