import { type Flow, type Op, type Stage, type StageState, splitOpState } from './stage.js';

/**
 * Typed left-to-right composition. The result is itself a `Flow`: call it for a fresh
 * stage, or with a saved `state()` to continue exactly where that stage stopped.
 *
 *   const flow = pipe(slimPajama({ files }), tokenize({ tokenizer }), pack({ seqLen: 1024 }));
 *   const data = flow();            // ... consume, then save data.state()
 *   const again = flow(saved);      // yields exactly the items that would have followed
 */
export function pipe<A>(source: Flow<A>): Flow<A>;
export function pipe<A, B>(source: Flow<A>, op1: Op<A, B>): Flow<B>;
export function pipe<A, B, C>(source: Flow<A>, op1: Op<A, B>, op2: Op<B, C>): Flow<C>;
export function pipe<A, B, C, D>(source: Flow<A>, op1: Op<A, B>, op2: Op<B, C>, op3: Op<C, D>): Flow<D>;
export function pipe<A, B, C, D, E>(source: Flow<A>, op1: Op<A, B>, op2: Op<B, C>, op3: Op<C, D>, op4: Op<D, E>): Flow<E>;
export function pipe<A, B, C, D, E, F>(
  source: Flow<A>, op1: Op<A, B>, op2: Op<B, C>, op3: Op<C, D>, op4: Op<D, E>, op5: Op<E, F>,
): Flow<F>;
export function pipe<A, B, C, D, E, F, G>(
  source: Flow<A>, op1: Op<A, B>, op2: Op<B, C>, op3: Op<C, D>, op4: Op<D, E>, op5: Op<E, F>, op6: Op<F, G>,
): Flow<G>;
export function pipe<A, B, C, D, E, F, G, H>(
  source: Flow<A>, op1: Op<A, B>, op2: Op<B, C>, op3: Op<C, D>, op4: Op<D, E>, op5: Op<E, F>, op6: Op<F, G>, op7: Op<G, H>,
): Flow<H>;
export function pipe(source: Flow<unknown>, ...ops: Op<unknown, unknown>[]): Flow<unknown>;
export function pipe(source: Flow<unknown>, ...ops: Op<unknown, unknown>[]): Flow<unknown> {
  return (resume?: StageState) => build(source, ops, resume);
}

function build(source: Flow<unknown>, ops: Op<unknown, unknown>[], resume: StageState | undefined): Stage<unknown> {
  if (ops.length === 0) return source(resume);
  const last = ops[ops.length - 1]!;
  const split = splitOpState(resume, `pipe (operator ${ops.length})`);
  const upstream = build(source, ops.slice(0, -1), split?.upstream);
  return last(upstream, split?.local);
}
