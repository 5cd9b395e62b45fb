import type { Json } from '../../base/json.js';
import { closest } from '../../base/closest.js';
import type { MoeLayerSpec } from './types.js';

/**
 * One option a router reads from `spec.options`, under LibMoE's config name. Routers read
 * their options only through these declarations, so the declared default is the one used,
 * and `checkRouterOptions` can refuse a key no router of that name reads (a typo would
 * otherwise be ignored silently).
 */
export interface RouterOption<T extends Json = Json> {
  readonly name: string;
  /** Value type as the docs show it: `number`, `gate / sigmoid` (one of), `[number, number]`. */
  readonly type: string;
  readonly default: T;
  /** One line for docs/routers.md. */
  readonly doc: string;
  /** The value in `spec.options` (the default when absent or null); a wrong type is an error naming the router. */
  read(spec: MoeLayerSpec): T;
}

function given(spec: MoeLayerSpec, name: string): Json | undefined {
  const v = spec.options?.[name];
  return v === null ? undefined : v;
}

export function numberOption(name: string, dflt: number, doc: string): RouterOption<number> {
  return {
    name, type: 'number', default: dflt, doc,
    read(spec) {
      const v = given(spec, name);
      if (v === undefined) return dflt;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${spec.algorithm}: option ${name} must be a finite number, got ${JSON.stringify(v)}`);
      return v;
    },
  };
}

export function choiceOption<T extends string>(name: string, values: readonly T[], dflt: T, doc: string): RouterOption<T> {
  return {
    name, type: values.join(' / '), default: dflt, doc,
    read(spec) {
      const v = given(spec, name);
      if (v === undefined) return dflt;
      if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
        throw new Error(`${spec.algorithm}: option ${name} must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
      }
      return v as T;
    },
  };
}

export function rangeOption(name: string, dflt: readonly [number, number], doc: string): RouterOption<[number, number]> {
  return {
    name, type: '[number, number]', default: [dflt[0], dflt[1]], doc,
    read(spec) {
      const v = given(spec, name);
      if (v === undefined) return [dflt[0], dflt[1]];
      if (!Array.isArray(v) || v.length !== 2 || !v.every((z) => typeof z === 'number' && Number.isFinite(z)) || (v[0] as number) > (v[1] as number)) {
        throw new Error(`${spec.algorithm}: option ${name} must be [low, high] with low ≤ high, got ${JSON.stringify(v)}`);
      }
      return [v[0] as number, v[1] as number];
    },
  };
}

/**
 * The problem with an option key `key` that router `algorithm` does not declare, or undefined
 * when it does: names the key, the router and the closest declared option.
 */
export function unknownOptionProblem(algorithm: string, key: string, declared: readonly string[]): string | undefined {
  if (declared.includes(key)) return undefined;
  const guess = closest(key, declared);
  const known = declared.length > 0 ? `its options: ${[...declared].sort().join(', ')}` : 'it takes no options';
  return `unknown option '${key}' for router ${algorithm}${guess ? `; did you mean '${guess}'?` : ''} (${known})`;
}

/** Throws on the first key of `spec.options` that the router does not declare. */
export function checkRouterOptions(spec: MoeLayerSpec, declared: readonly RouterOption[]): void {
  const names = declared.map((o) => o.name);
  for (const key of Object.keys(spec.options ?? {})) {
    const problem = unknownOptionProblem(spec.algorithm, key, names);
    if (problem) throw new Error(problem);
  }
}
