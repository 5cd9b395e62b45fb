import { parse as parseYaml } from 'yaml';

/** A malformed `--set` (a command-line mistake, not a pipeline one). */
export class OverrideError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OverrideError';
  }
}

export interface Override {
  readonly path: readonly string[];
  readonly value: unknown;
  /** As the user wrote it, for messages and for config.yaml. */
  readonly source: string;
}

/**
 * `key.path=value`: the value is read as a YAML scalar or flow collection, so
 * `trainer.lr=3e-4` is a number, `stats.arrowStream=true` a boolean and
 * `data.files=[a.jsonl.zst,b.jsonl.zst]` a list.
 */
export function parseOverride(text: string): Override {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new OverrideError(`--set ${text}: expected KEY.PATH=VALUE (e.g. --set trainer.lr=3e-4)`);
  const key = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1);
  const path = key.split('.');
  if (path.some((p) => p === '')) throw new OverrideError(`--set ${text}: empty segment in key path "${key}"`);
  let value: unknown;
  try {
    value = raw.trim() === '' ? '' : parseYaml(raw);
  } catch (e) {
    throw new OverrideError(`--set ${text}: value is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  return { path, value, source: text };
}

/** Set `value` at `path` in a plain object tree, creating maps on the way (numeric segments index lists). */
export function applyOverride(target: Record<string, unknown>, o: Override): void {
  let node: Record<string, unknown> | unknown[] = target;
  // Numeric segments index lists; a missing list is created.
  for (let i = 0; i < o.path.length - 1; i++) {
    const seg = o.path[i]!;
    const next = (node as Record<string, unknown>)[seg];
    if (next === undefined || next === null) {
      const created = /^\d+$/.test(o.path[i + 1]!) ? [] : {};
      (node as Record<string, unknown>)[seg] = created;
      node = created;
    } else if (typeof next === 'object') {
      node = next as Record<string, unknown>;
    } else {
      throw new OverrideError(`--set ${o.source}: ${o.path.slice(0, i + 1).join('.')} is ${JSON.stringify(next)}, not a section`);
    }
  }
  const last = o.path[o.path.length - 1]!;
  if (Array.isArray(node)) {
    const i = Number(last);
    if (!Number.isInteger(i) || i < 0) throw new OverrideError(`--set ${o.source}: ${o.path.slice(0, -1).join('.')} is a list; use a number index`);
    node[i] = o.value;
  } else {
    node[last] = o.value;
  }
}
