import { type Json, type Op, type Stage, opState } from '../streams/stage.js';
import { Rng, type RngState } from '../base/random.js';
import { type JsonCodec, typedJsonCodec } from './support/json-codec.js';
import { closeUpstream, opStats } from './support/pulled.js';

export interface ShuffleOptions<T> {
  /** Items held back to draw from. Larger mixes further, costs memory and state size. */
  readonly bufferSize: number;
  readonly seed: number;
  /** How buffered items go into the state (default: JSON with typed arrays as base64). */
  readonly codec?: JsonCodec<T>;
}

/**
 * Seeded buffer shuffle: fill a buffer of `bufferSize`, then for each new item emit a uniformly
 * drawn buffered one and put the new one in its place; at the end, drain the buffer in random
 * order. The order depends only on the seed and the input.
 *
 * State: the generator state and the buffered items themselves (encoded with `codec`), so a
 * resume continues exactly; checkpoints grow with `bufferSize × item size`. Encodings are
 * cached per slot, so calling `state()` every step re-encodes only the items that changed.
 */
export function shuffle<T>(options: ShuffleOptions<T>): Op<T, T> {
  const { bufferSize, seed } = options;
  if (!Number.isInteger(bufferSize) || bufferSize < 1) throw new RangeError(`shuffle: bufferSize must be a positive integer, got ${bufferSize}`);
  const codec = options.codec ?? typedJsonCodec<T>();
  return (upstream, resume) => {
    const restored = parseLocal(resume, bufferSize);
    const rng = restored ? new Rng(restored.rng) : Rng.derive(seed, 'shuffle');
    const buffer: T[] = restored ? restored.buffer.map((j) => codec.decode(j)) : [];
    const encoded: (Json | undefined)[] = restored ? [...restored.buffer] : [];
    let pulled = 0;
    let delivered = 0;

    const localState = (): Json => {
      for (let i = 0; i < buffer.length; i++) encoded[i] ??= codec.encode(buffer[i]!);
      return { rng: [...rng.state()], buffer: encoded.slice(0, buffer.length) as Json[] };
    };

    const stage: Stage<T> = {
      state: () => opState(localState(), upstream.state()),
      stats: () => opStats('shuffle', { pulled, delivered, buffered: buffer.length }, upstream),
      close: closeUpstream(upstream),
      async *[Symbol.asyncIterator]() {
        for await (const item of upstream) {
          pulled++;
          if (buffer.length < bufferSize) {
            buffer.push(item);
            encoded.push(undefined);
            continue;
          }
          const j = rng.int(bufferSize);
          const out = buffer[j]!;
          buffer[j] = item;
          encoded[j] = undefined;
          delivered++;
          yield out;
        }
        while (buffer.length > 0) {
          const j = rng.int(buffer.length);
          const out = buffer[j]!;
          const last = buffer.length - 1;
          buffer[j] = buffer[last]!;
          encoded[j] = encoded[last];
          buffer.pop();
          encoded.pop();
          delivered++;
          yield out;
        }
      },
    };
    return stage;
  };
}

function parseLocal(resume: Json | undefined, bufferSize: number): { rng: RngState; buffer: Json[] } | undefined {
  if (resume === undefined) return undefined;
  const r = resume as { rng?: unknown; buffer?: unknown } | null;
  if (r === null || typeof r !== 'object' || !Array.isArray(r.rng) || r.rng.length !== 4 || !Array.isArray(r.buffer)) {
    throw new Error(`shuffle: resume state must be {rng: [4 numbers], buffer: [...]}, got ${JSON.stringify(resume).slice(0, 120)}`);
  }
  if (r.buffer.length > bufferSize) {
    throw new Error(`shuffle: resume state holds ${r.buffer.length} items but bufferSize is ${bufferSize}; the pipeline changed since the checkpoint`);
  }
  return { rng: r.rng as unknown as RngState, buffer: r.buffer as Json[] };
}
