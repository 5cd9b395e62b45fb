import type { z } from 'zod';
import { closest } from '../base/closest.js';

/** Turns schema issues into one line each: `trainer.lr: expected a positive number, got "abc"`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], schema: z.ZodType): string[] {
  return issues.flatMap((iss) => {
    const at = keyPath(iss.path);
    if (iss.code === 'unrecognized_keys') {
      const valid = keysAt(schema, iss.path);
      return iss.keys.map((k) => {
        const guess = closest(k, valid);
        const where = at ? `${at}.${k}` : k;
        return `${where}: unknown key${guess ? `; did you mean "${guess}"?` : ''} (valid keys${at ? ` of ${at}` : ''}: ${valid.join(', ')})`;
      });
    }
    // A cross-key rule states its problem as a whole sentence naming every key involved.
    if (iss.code === 'custom' && (iss.params as { sentence?: boolean } | undefined)?.sentence) return [iss.message];
    const input = (iss as { input?: unknown }).input;
    const got = input === undefined ? 'nothing (the key is missing)' : show(input);
    let message = iss.message;
    if (iss.code === 'invalid_union' && message === 'Invalid input') message = 'expected a different shape';
    return [`${at || '(top level)'}: ${message}, got ${got}`];
  });
}

/** `data.flow[2].bufferSize`: list indices in brackets. */
export function keyPath(path: readonly PropertyKey[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i > 0 ? '.' : ''}${String(k)}`)).join('');
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

type Def = { type: string; innerType?: z.ZodType; in?: z.ZodType; shape?: Record<string, z.ZodType>; options?: z.ZodType[]; element?: z.ZodType };

function defOf(s: z.ZodType): Def {
  return (s as unknown as { def: Def }).def;
}

/** The object schemas a value at `path` may be checked against (through optional/default/union wrappers). */
function objectsAt(schema: z.ZodType, path: readonly PropertyKey[]): Def[] {
  let current: z.ZodType[] = [schema];
  for (let i = 0; i <= path.length; i++) {
    const objects: Def[] = [];
    const stack = [...current];
    while (stack.length) {
      const d = defOf(stack.pop()!);
      if (d.innerType) stack.push(d.innerType);
      else if (d.type === 'pipe' && d.in) stack.push(d.in);
      else if (d.type === 'union' && d.options) stack.push(...d.options);
      else if (d.type === 'object' || d.type === 'array') objects.push(d);
    }
    if (i === path.length) return objects.filter((o) => o.type === 'object');
    const key = path[i]!;
    current = typeof key === 'number'
      ? objects.map((o) => o.element).filter((s): s is z.ZodType => s !== undefined)
      : objects.map((o) => o.shape?.[String(key)]).filter((s): s is z.ZodType => s !== undefined);
  }
  return [];
}

/** Keys the schema accepts at `path` (for suggestions). */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  return [...new Set(objectsAt(schema, path).flatMap((o) => Object.keys(o.shape ?? {})))];
}
