import type { MoeLayerSpec } from './types.js';

/** Typed access to `spec.options` (LibMoE config names) with clear errors. */
export function numOpt(spec: MoeLayerSpec, name: string, dflt: number): number {
  const v = spec.options?.[name];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${spec.algorithm}: option ${name} must be a finite number, got ${JSON.stringify(v)}`);
  return v;
}

export function strOpt<T extends string>(spec: MoeLayerSpec, name: string, allowed: readonly T[], dflt: T): T {
  const v = spec.options?.[name];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new Error(`${spec.algorithm}: option ${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}
