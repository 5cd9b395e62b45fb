import { tf } from '../tf.js';

/**
 * tf.variableGrads keeps a clone of every tensor a recorded op saves for its backward pass
 * and releases them only when the backward pass completes. If the forward function throws,
 * those clones stay alive forever. After such a failure (outside any enclosing gradient
 * computation) this releases them the way tfjs-core's own `gradients()` does at its end.
 * Touches engine state that tfjs does not document (`state.activeTape`, `gradientDepth`).
 */
export function releaseTapeAfterError(): void {
  const state = (tf.engine() as unknown as { state: { gradientDepth: number; activeTape: { saved?: tf.Tensor[] }[] | null } }).state;
  if (state.gradientDepth !== 0 || state.activeTape === null) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
}
