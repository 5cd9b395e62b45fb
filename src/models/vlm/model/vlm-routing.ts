/**
 * Routing statistics of a VLM step per component, for the routing tables (issue 10
 * "Statistics": a component beside the layer): each vision-tower encoder layer (over every S²
 * call: full images and crops, CLIP's class token included), the projector, and the decoder's
 * MoE blocks. The tower's and the projector's tokens are all image tokens; a decoder block's
 * statistics come per modality, its image-feature rows apart from its text rows (padding rows in
 * neither), from the layer's per-group statistics (`lmStatGroups`). The stat tensors go through
 * the step's single readback (routing-stats.ts's accumulator, one per component and modality).
 */
import type { LayerRoutingStats } from '../../train-types.js';
import { RoutingAccumulator } from '../../lm/routing-stats.js';
import type { Readback } from '../../lm/readback.js';
import type { MoeLayer, StatGroups } from '../../moe/types.js';
import { tf, type Tensor2D } from '../../tf.js';
import type { SplicePlan } from '../splice/plan.js';
import { TransformerLM } from '../../lm/transformer-lm.js';
import type { VisionLanguageModel, VlmForward } from './vision-language-model.js';

type LmModality = 'image' | 'text';
/** Group ids of `lmStatGroups`: 0 image-feature rows, 1 text rows. */
const LM_MODALITIES: readonly LmModality[] = ['image', 'text'];

/** The decoder call's token groups from the splice plan: feature rows image, text rows text, padding none. */
export function lmStatGroups(plan: SplicePlan): StatGroups {
  const text = plan.textIds.length;
  const groupOf = Int32Array.from(plan.rowSource, (r) => (r === plan.zeroRow ? -1 : r < text ? 1 : 0));
  return { groupOf, count: LM_MODALITIES.length };
}

export interface VlmRoutingStats {
  /** One entry per MoE encoder layer (`layer` = its index); empty for a dense tower. */
  readonly vision: readonly LayerRoutingStats[];
  /** The MoE projector (`layer` 0); empty for the dense one. */
  readonly projector: readonly LayerRoutingStats[];
  /** The decoder's MoE blocks (LibMoE's VLM has none): per block, its image-feature rows
   *  (`modality` 'image') and its text rows ('text'), each where the step had such rows. */
  readonly languageModel: readonly LayerRoutingStats[];
}

export class VlmRoutingAccumulator {
  private readonly vision: RoutingAccumulator;
  private readonly projector: RoutingAccumulator;
  private readonly lm: Record<LmModality, RoutingAccumulator>;

  constructor(rb: Readback, problems: string[]) {
    this.vision = new RoutingAccumulator(rb, problems);
    this.projector = new RoutingAccumulator(rb, problems);
    this.lm = { image: new RoutingAccumulator(rb, problems), text: new RoutingAccumulator(rb, problems) };
  }

  /** Queues a forward's MoE outputs; call inside the tape, right after the forward. */
  queue(fwd: VlmForward): void {
    for (const call of fwd.tower?.calls ?? []) {
      const tokens = call.embeddings.shape[0];
      call.moe.forEach((out, layer) => this.vision.queue(layer, out, tokens));
    }
    if (fwd.projector) {
      const [b, p] = fwd.projector.y.shape;
      const o = fwd.projector;
      // The layer's own losses, without the `reported_*` copies made for logging.
      const aux = Object.fromEntries(Object.entries(o.aux).filter(([k]) => !k.startsWith('reported_')));
      this.projector.queue(0, { y: o.y, aux, auxTotal: o.auxTotal, selected: o.selected, k: o.k, gates: o.gates, stats: o.stats }, b * p);
    }
    for (const m of fwd.languageModel) {
      const groups = m.out.groupStats;
      if (!groups) throw new Error(`VLM decoder layer ${m.layer}: no per-modality statistics (the forward passes statGroups)`);
      LM_MODALITIES.forEach((modality, g) => {
        const { tokens, stats } = groups[g]!;
        if (tokens.length === 0) return;
        const k = m.out.k;
        const selected = new Int32Array(tokens.length * k);
        tokens.forEach((t, i) => selected.set(m.out.selected.subarray(t * k, t * k + k), i * k));
        // The layer's aux losses are over all its tokens: each modality's row repeats them.
        const gates = tf.gather(m.out.gates, tf.tensor1d(tokens, 'int32')) as Tensor2D;
        this.lm[modality].queue(m.layer, { ...m.out, selected, gates, stats }, tokens.length);
      });
    }
  }

  /** After the readback. */
  finish(model: VisionLanguageModel): VlmRoutingStats {
    const projectorLayer = model.projector.moeLayer;
    const lmLayers: readonly (MoeLayer | null)[] = model.languageModel instanceof TransformerLM ? model.languageModel.moeLayers : [];
    return {
      vision: this.vision.finish(model.tower.moeLayers),
      projector: projectorLayer ? this.projector.finish([projectorLayer]) : [],
      languageModel: LM_MODALITIES.flatMap((modality) => this.lm[modality].finish(lmLayers).map((s) => ({ ...s, modality })))
        .sort((a, b) => a.layer - b.layer),
    };
  }
}
