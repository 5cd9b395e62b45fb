/**
 * A batch of packed windows as flat typed arrays, ready to become tensors (the models side
 * wraps them; nothing here depends on TensorFlow.js). Row-major `[rows, cols]`.
 */
export interface TokenBatch {
  /** `[rows, cols]`; `cols = seqLen + 1`. */
  readonly shape: readonly [number, number];
  readonly tokens: Int32Array;
  /** Per token: index into `domainNames`. */
  readonly domains: Uint8Array;
  readonly domainNames: readonly string[];
  /** Per token: document index within its window; present when the pack made them. */
  readonly segmentIds?: Int32Array;
  /** Pack output index of each row (provenance of the rows after a shuffle). */
  readonly windowIndex: Int32Array;
}
