import type { LayerRoutingStats } from '../../models/train-types.js';
import type { VlmStepResult } from '../../models/vlm/index.js';

/**
 * The VLM step's routing as one list, each entry with its component and modality (the
 * tables' columns): vision layers 0..L−1, then the projector, then the decoder's MoE blocks
 * (`layer` keeps this flat index; a block's image and text entries share it).
 */
export function flatRouting(r: VlmStepResult['routing']): LayerRoutingStats[] {
  const out: LayerRoutingStats[] = [];
  for (const s of r.vision) out.push({ ...s, layer: out.length, component: `vision layer ${s.layer}`, modality: 'image' });
  for (const s of r.projector) out.push({ ...s, layer: out.length, component: 'projector', modality: 'image' });
  const base = out.length;
  const blocks = [...new Set(r.languageModel.map((s) => s.layer))];
  for (const s of r.languageModel) out.push({ ...s, layer: base + blocks.indexOf(s.layer), component: `lm layer ${s.layer}`, modality: s.modality ?? 'text' });
  return out;
}
