/**
 * One training sample as LibMoE cuts it: `seqLen + 1` consecutive tokens of the packed stream
 * (input = the first `seqLen`, target = the same shifted by one).
 */
export interface PackedWindow {
  /** Length `seqLen + 1`. */
  readonly tokens: Int32Array;
  /** Per token: index into `domainNames` of the document the token came from. */
  readonly domains: Uint8Array;
  /**
   * The pack's domain table when this window was cut. Ids only ever get appended, so the
   * table of a later window is valid for every earlier one.
   */
  readonly domainNames: readonly string[];
  /**
   * Per token: which document of this window it belongs to (0 for the document the window
   * starts in, then 1, 2, ...); a document's separator belongs to it. Present when the pack
   * was asked for segment ids: attention can be masked with `segmentIds[i] === segmentIds[j]`.
   */
  readonly segmentIds?: Int32Array;
  /** Position of the window in the pack's output (0-based). */
  readonly index: number;
}
