import type { Json } from '../../base/json.js';
import { tf, type Tensor, type Tensor2D, type Tensor3D, type Variable } from '../tf.js';
import { dispatch } from './dispatch.js';
import { joinBanks, type ExpertBank } from './experts/expert-bank.js';
import type { Router } from './router.js';
import { groupRoutingStats, routingStats } from './stats.js';
import { inRoutingProbe, routingCall } from './routing-reads.js';
import type { Internal } from './routing.js';
import type { MoeCallContext, MoeLayer, MoeLayerSpec, MoeOutput } from './types.js';

/**
 * An MoE layer = router + expert bank (MegaBlocks' `layers/moe.py` split): the router routes
 * to the bank of `spec.expert`'s kind (plus the special experts it owns), the common dropless
 * dispatch runs the bank, the router's `finish` adds its shared experts, and the statistics
 * are reduced. Call `apply` inside the training tape (tf.grads / tf.variableGrads) or a
 * tf.tidy; every tensor it creates is then released with the step.
 */
export class ComposedMoeLayer implements MoeLayer {
  readonly variables: ReadonlyMap<string, Variable>;
  /** What dispatch runs: the layer's bank, then the router's special experts. */
  private readonly dispatched: ExpertBank;

  constructor(readonly spec: MoeLayerSpec, private readonly router: Router, private readonly bank: ExpertBank) {
    this.dispatched = router.specials ? joinBanks(bank, router.specials) : bank;
    const prefix = spec.name ?? '';
    const vars = new Map<string, Variable>();
    for (const src of [router.variables, this.dispatched.variables]) {
      for (const [k, v] of src) {
        if (vars.has(prefix + k)) throw new Error(`${spec.algorithm}: parameter ${k} defined twice`);
        vars.set(prefix + k, v);
      }
    }
    this.variables = vars;
  }

  apply(x: Tensor3D, callCtx: MoeCallContext): MoeOutput {
    const ctx = inRoutingProbe() ? { ...callCtx, routingProbe: true } : callCtx;
    const [b, t, d] = x.shape;
    if (d !== this.spec.dModel) throw new Error(`${this.spec.algorithm}: input width ${d}, layer expects ${this.spec.dModel}`);
    const input = { x: tf.reshape(x, [b * t, d]) as Tensor2D, batch: b, seqLen: t, ctx };
    const routing = routingCall(this, () => this.router.route(input));
    const expertOf = ctx.dropTop ? dropTopSlots(routing.expertOf, routing.k, ctx) : routing.expertOf;
    // ReLU pass rate: each observed block's per-row count of hidden units > 0, kept past the
    // dispatch op's own scope, joined below into this call's scope.
    const counted: Tensor[] = [];
    let width = 0;
    const observe = ctx.countActiveHidden && this.spec.expert.kind === 'relu-kv'
      ? (hs: readonly Tensor2D[]) => { for (const h of hs) { width = h.shape[1]; counted.push(tf.keep(tf.sum(tf.cast(tf.greater(h, 0), 'int32'), 1))); } }
      : undefined;
    const dOut = this.spec.dOut ?? d;
    const disp = dispatch(input.x, expertOf, routing.k, routing.combine, this.dispatched, this.spec.capacityFactor, observe, dOut);
    let hiddenActive: MoeOutput['hiddenActive'];
    if (observe) {
      const perRow = counted.length === 0 ? tf.zeros([0], 'int32') : counted.length === 1 ? tf.clone(counted[0]!) : tf.concat(counted, 0);
      tf.dispose(counted);
      hiddenActive = { perRow, tokenOfRow: disp.tokenOfRow, width: width || (this.spec.expert.kind === 'relu-kv' ? this.spec.expert.size : 0) };
    }
    const internals: Record<string, Internal> = { ...routing.internals };
    const y2 = this.router.finish ? this.router.finish(disp.y, input, internals, this.bank) : disp.y;
    const stats = routingStats(routing.probs, routing.slots, routing.combine, routing.k, disp.dropped);
    const groupStats = ctx.statGroups
      ? groupRoutingStats(routing.probs, routing.slots, routing.combine, routing.k, droppedPerToken(expertOf, routing.k, disp.tokenOfRow, b * t), ctx.statGroups)
      : undefined;
    return {
      y: tf.reshape(y2, [b, t, dOut]) as Tensor3D,
      aux: routing.aux,
      auxTotal: routing.auxTotal,
      selected: routing.slots,
      k: routing.k,
      gates: routing.combine,
      stats,
      ...(ctx.collectInternals ? { internals } : {}),
      ...(hiddenActive ? { hiddenActive } : {}),
      ...(groupStats ? { groupStats } : {}),
    };
  }

  state(): Json {
    return this.router.state ? this.router.state() : {};
  }

  setState(state: Json): void {
    if (this.router.setState) return this.router.setState(state);
    // A stateless layer given a non-empty state is a checkpoint from another layer type.
    if (state !== null && typeof state === 'object' && Object.keys(state).length > 0) {
      throw new Error(`${this.spec.algorithm}: this layer has no state, got ${JSON.stringify(state).slice(0, 80)}`);
    }
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
  }
}

/** Per token, its capacity-dropped slots: the slots given an expert minus the rows dispatch computed for it. */
function droppedPerToken(expertOf: Int32Array, k: number, tokenOfRow: Int32Array, n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n * k; i++) if (expertOf[i]! >= 0) out[Math.floor(i / k)]!++;
  for (const t of tokenOfRow) out[t]!--;
  return out;
}

/**
 * DropTop-n: the first n slots of every token run no expert (−1, as a null slot). Slots are in
 * the router's pick order, slot 0 the top pick (host top-k sorts by descending score). The only
 * place that reads `ctx.dropTop`, so no router knows about the ablation.
 */
function dropTopSlots(expertOf: Int32Array, k: number, ctx: MoeCallContext): Int32Array {
  const n = ctx.dropTop!;
  if (ctx.training) throw new Error('dropTop is an evaluation-time ablation; it cannot be used in training');
  if (!(Number.isInteger(n) && n >= 0)) throw new Error(`dropTop must be a non-negative integer, got ${n}`);
  const out = Int32Array.from(expertOf);
  for (let slot = 0; slot < out.length; slot += k) out.fill(-1, slot, slot + Math.min(n, k));
  return out;
}
