/**
 * Parameter selection by name patterns (the stage recipes' freezing: stage 1 trains
 * `mm_projector.*` only, stages 2–3 train `*`). A pattern is a glob over the whole checkpoint
 * name: `*` any run of characters (dots included), `?` one character, everything else literal.
 */

export function globToRegExp(pattern: string): RegExp {
  const body = [...pattern].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`);
}

/** The names (in their order) that match at least one pattern. A pattern that matches nothing
 *  is an error: a misspelt freeze pattern must not silently freeze the whole model. */
export function selectNames(names: Iterable<string>, patterns: readonly string[]): string[] {
  const all = [...names];
  const res = patterns.map((p) => ({ p, re: globToRegExp(p), hit: false }));
  const out = all.filter((n) => {
    let any = false;
    for (const r of res) if (r.re.test(n)) { r.hit = true; any = true; }
    return any;
  });
  const unused = res.filter((r) => !r.hit).map((r) => `'${r.p}'`);
  if (unused.length > 0) throw new Error(`trainable parameter pattern${unused.length > 1 ? 's' : ''} ${unused.join(', ')} match${unused.length > 1 ? '' : 'es'} no parameter of the model`);
  return out;
}
