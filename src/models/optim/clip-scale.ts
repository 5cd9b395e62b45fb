/**
 * The factor gradients are multiplied by for global-norm clipping, as
 * `torch.nn.utils.clip_grad_norm_`: max_norm / (norm + 1e-6), only when that is < 1
 * (`maxNorm` null: no clipping).
 */
export function clipScale(gradNorm: number, maxNorm: number | null): number {
  return maxNorm !== null && maxNorm / (gradNorm + 1e-6) < 1 ? maxNorm / (gradNorm + 1e-6) : 1;
}
