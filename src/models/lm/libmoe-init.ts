/**
 * LibMoE's initialisation of the LM's own tensors (the MoE layers draw theirs in
 * src/models/moe; the LM only adds the depth factor to them). Line numbers refer to
 * Fsoft-AIC/LibMoE `language_modeling/` (main); docs/models.md "Initialisation" has the table.
 *
 * Each function returns the values of one torch tensor; the layout (torch's [out, in] or
 * our [in, out]) does not matter to any of them, since every rule is elementwise i.i.d. up to
 * the whole-tensor rescale of `prenormLinear`.
 */
import { seededNormal, seededTruncatedNormal, seededUniform } from './seeded-draws.js';

/**
 * `reset_prenorm_params` (layers/transformer/transformer.py L10-17), applied by every pre-LN
 * block to each torch.nn.Linear inside it (attention q, kv, out; a dense block's FFN):
 *
 *   torch.nn.init.trunc_normal_(w)                         N(0, 1) truncated to [−2, 2]
 *   w *= sqrt(2 / (n_layers · fan_in)) / w.std()           whole-tensor rescale
 *
 * So the tensor's sample std is exactly the target (not just in expectation), and its values
 * lie within ±2·target/std_raw ≈ ±2.27·target (std_raw ≈ 0.880, the std of the truncated N(0,1)).
 */
export function prenormLinear(count: number, fanIn: number, nLayers: number, seed: number): Float32Array {
  const w = seededTruncatedNormal(count, seed);
  const scale = Math.sqrt(2 / (nLayers * fanIn)) / sampleStd(w);
  for (let i = 0; i < w.length; i++) w[i] = w[i]! * scale;
  return w;
}

/**
 * torch.nn.Linear's own init, kept where LibMoE never re-initialises: kaiming_uniform_(a=√5)
 * = U(±1/√fan_in) (std 1/√(3·fan_in)). LibMoE's LM output layer
 * (models/transformer_language_model.py L70, outside every block; `lm.trafo.xl_init`, which
 * would redraw it N(0, 0.02), is off by default and in every shipped sweep).
 */
export function torchLinearDefault(count: number, fanIn: number, seed: number): Float32Array {
  return seededUniform(count, 1 / Math.sqrt(fanIn), seed);
}

/**
 * kaiming_normal_(mode="fan_in", nonlinearity="linear") = N(0, 1/fan_in), untruncated.
 * LibMoE's token embedding (models/transformer_language_model.py L42; fan_in = D, the
 * embedding's second dimension).
 */
export function kaimingNormalLinear(count: number, fanIn: number, seed: number): Float32Array {
  return seededNormal(count, 1 / Math.sqrt(fanIn), seed);
}

/** torch.Tensor.std(): the unbiased (n − 1) sample standard deviation, accumulated in float64. */
export function sampleStd(x: Float32Array): number {
  let mean = 0;
  for (let i = 0; i < x.length; i++) mean += x[i]!;
  mean /= x.length;
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += (x[i]! - mean) ** 2;
  return Math.sqrt(ss / (x.length - 1));
}
