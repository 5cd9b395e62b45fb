/**
 * The widths of LLaVA's vision → language projector (LibMoE `build_vision_projector`): the
 * tower's features, S²-concatenated over `scales` on the channel axis, map to the LLM width.
 */
export interface ProjectorDims {
  /** The vision tower's hidden size (`mm_hidden_size`). */
  readonly mmHidden: number;
  /** S² scales (`--scales 1,3` → [1, 3]); each adds mmHidden feature channels. */
  readonly scales: readonly number[];
  /** The language model's hidden size. */
  readonly llmHidden: number;
}

/** `mm_hidden · len(scales)`: the projector's input width. */
export function projectorInWidth(d: ProjectorDims): number {
  return d.mmHidden * d.scales.length;
}
