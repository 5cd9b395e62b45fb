/**
 * Routing statistics of a VLM step per component, for the routing tables (issue 10
 * "Statistics": a component beside the layer): each vision-tower encoder layer (over every S²
 * call: full images and crops, CLIP's class token included), the projector, and the decoder's
 * MoE blocks. The tower's and the projector's tokens are all image tokens. The stat tensors go
 * through the step's single readback (routing-stats.ts's accumulator, one per component).
 */
import type { LayerRoutingStats } from '../../train-types.js';
import { RoutingAccumulator } from '../../lm/routing-stats.js';
import type { Readback } from '../../lm/readback.js';
import type { MoeLayer } from '../../moe/types.js';
import { TransformerLM } from '../../lm/transformer-lm.js';
import type { VisionLanguageModel, VlmForward } from './vision-language-model.js';

export interface VlmRoutingStats {
  /** One entry per MoE encoder layer (`layer` = its index); empty for a dense tower. */
  readonly vision: readonly LayerRoutingStats[];
  /** The MoE projector (`layer` 0); empty for the dense one. */
  readonly projector: readonly LayerRoutingStats[];
  /** The decoder's MoE blocks (LibMoE's VLM has none). */
  readonly languageModel: readonly LayerRoutingStats[];
}

export class VlmRoutingAccumulator {
  private readonly vision: RoutingAccumulator;
  private readonly projector: RoutingAccumulator;
  private readonly lm: RoutingAccumulator;

  constructor(rb: Readback, problems: string[]) {
    this.vision = new RoutingAccumulator(rb, problems);
    this.projector = new RoutingAccumulator(rb, problems);
    this.lm = new RoutingAccumulator(rb, problems);
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
    for (const m of fwd.languageModel) this.lm.queue(m.layer, m.out, fwd.plan.batchSize * fwd.plan.seqLen);
  }

  /** After the readback. */
  finish(model: VisionLanguageModel): VlmRoutingStats {
    const projectorLayer = model.projector.moeLayer;
    const lmLayers: readonly (MoeLayer | null)[] = model.languageModel instanceof TransformerLM ? model.languageModel.moeLayers : [];
    return {
      vision: this.vision.finish(model.tower.moeLayers),
      projector: projectorLayer ? this.projector.finish([projectorLayer]) : [],
      languageModel: this.lm.finish(lmLayers),
    };
  }
}
