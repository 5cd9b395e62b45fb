/**
 * Routes: what one MoE layer chose for every token of a fixed probe sequence. Every analysis in
 * src/analysis is a pure function of routes (no TensorFlow.js), so the same code serves probe
 * passes over checkpoints, eval-time route logs and the sampled rows of routing/tokens.
 */

/** One layer's choices over `tokens` probe tokens, `k` picks each, row-major. */
export interface Routes {
  readonly tokens: number;
  readonly k: number;
  /** Number of routed experts E (indices are 0 … E−1). */
  readonly experts: number;
  /** [tokens · k] expert indices; slot 0 is the token's top pick, slot 1 the next, … */
  readonly selected: Int32Array;
  /** [tokens · k] gate weights in the same order, when known. */
  readonly weights?: Float32Array;
}

/**
 * Builds routes from per-token lists (tests, JSON logs), checking that every token has k
 * distinct indices in range: a bad route names its token.
 */
export function routesFrom(perToken: readonly (readonly number[])[], experts: number, weights?: readonly (readonly number[])[]): Routes {
  const k = perToken[0]?.length ?? 0;
  const selected = new Int32Array(perToken.length * k);
  perToken.forEach((picks, t) => {
    if (picks.length !== k) throw new Error(`routes: token ${t} has ${picks.length} picks, token 0 has ${k}`);
    picks.forEach((e, i) => { selected[t * k + i] = e; });
  });
  const routes: Routes = { tokens: perToken.length, k, experts, selected, ...(weights ? { weights: Float32Array.from(weights.flat()) } : {}) };
  validateRoutes(routes);
  return routes;
}

/** Throws on a shape mismatch, an index out of range or an expert picked twice by one token. */
export function validateRoutes(r: Routes, label = 'routes'): void {
  if (r.selected.length !== r.tokens * r.k) throw new Error(`${label}: ${r.selected.length} indices for ${r.tokens} tokens × k ${r.k}`);
  if (r.weights && r.weights.length !== r.selected.length) throw new Error(`${label}: ${r.weights.length} weights for ${r.selected.length} indices`);
  for (let t = 0; t < r.tokens; t++) {
    for (let i = 0; i < r.k; i++) {
      const e = r.selected[t * r.k + i]!;
      if (!(e >= 0 && e < r.experts)) throw new Error(`${label}: token ${t} slot ${i} picks expert ${e}, outside 0…${r.experts - 1}`);
      for (let j = 0; j < i; j++) if (r.selected[t * r.k + j] === e) throw new Error(`${label}: token ${t} picks expert ${e} twice`);
    }
  }
}

/** Two route sets compared token by token must describe the same probe tokens with the same k and E. */
export function assertComparable(a: Routes, b: Routes, what: string): void {
  if (a.tokens !== b.tokens || a.k !== b.k || a.experts !== b.experts) {
    throw new Error(`${what}: routes differ in shape (${a.tokens} tokens, k ${a.k}, E ${a.experts} vs ${b.tokens} tokens, k ${b.k}, E ${b.experts}); both must come from the same probe set and model shape`);
  }
}

/** Token-slots per expert: how often each expert was picked (any slot). */
export function expertCounts(r: Routes): Float64Array {
  const counts = new Float64Array(r.experts);
  for (const e of r.selected) counts[e]! += 1;
  return counts;
}

/** The sub-range [from, to) of tokens, as routes (a view: no copy). */
export function sliceTokens(r: Routes, from: number, to: number): Routes {
  return {
    tokens: to - from, k: r.k, experts: r.experts,
    selected: r.selected.subarray(from * r.k, to * r.k),
    ...(r.weights ? { weights: r.weights.subarray(from * r.k, to * r.k) } : {}),
  };
}

/** The tokens at `indices` (ascending), as routes (a copy). */
export function pickTokens(r: Routes, indices: readonly number[]): Routes {
  const selected = new Int32Array(indices.length * r.k);
  const weights = r.weights ? new Float32Array(indices.length * r.k) : undefined;
  indices.forEach((t, i) => {
    selected.set(r.selected.subarray(t * r.k, (t + 1) * r.k), i * r.k);
    weights?.set(r.weights!.subarray(t * r.k, (t + 1) * r.k), i * r.k);
  });
  return { tokens: indices.length, k: r.k, experts: r.experts, selected, ...(weights ? { weights } : {}) };
}
