/** ../shared/golden/README.md §9.4: float32 tolerances of the model-level cases. */
export const MODEL_FORWARD: { rtol: number; atol: number } = { rtol: 1e-4, atol: 1e-5 };
export const MODEL_GRADIENT: { rtol: number; atol: number } = { rtol: 5e-3, atol: 2e-5 };
