/**
 * LibMoE's logged `infor_aux` of the SigLIP MoE tower (host numbers, not part of the loss):
 * per tower call, the mean over layers of each layer's value, where a layer whose value is
 * exactly 0.0 is skipped unless it is the first (LibMoE accumulates into a zero-initialised
 * running value and counts only non-zero updates); then the mean over calls (scales).
 * `float32`: average in float32, as LibMoE does for the balance loss.
 */
export function reportedLoss(perCallPerLayer: readonly (readonly number[])[], float32 = false): number {
  const r = float32 ? Math.fround : (x: number) => x;
  const perCall = perCallPerLayer.map((layers) => {
    let sum = 0;
    let n = 0;
    layers.forEach((v, i) => {
      if (i > 0 && v === 0) return;
      sum = r(sum + v);
      n++;
    });
    return r(sum / n);
  });
  return r(perCall.reduce((a, b) => r(a + b), 0) / perCall.length);
}
