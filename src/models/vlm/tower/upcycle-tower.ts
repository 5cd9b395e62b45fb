import { readSyncGuarded } from '../../readback.js';
import type { TowerMoeConfig } from './tower-config.js';
import { VisionTower } from './vision-tower.js';

/**
 * Sparse upcycling of a dense tower, as LibMoE's SFT path does it (`initialize_vision_modules`
 * with `clip_smoe` and `sparse_upcycling`): a tower of the same shape whose every encoder MLP
 * is an MoE layer of `moe`'s router, every expert a copy of that layer's dense `mlp.fc1/fc2`,
 * every other parameter copied; the routers keep their fresh init. With identical experts
 * and gate weights that sum to 1, the MoE tower computes the dense tower's features.
 */
export function upcycleTower(dense: VisionTower, moe: TowerMoeConfig, seed = 0): VisionTower {
  if (dense.config.moe) throw new Error('upcycleTower: the tower is already an MoE tower');
  const tower = VisionTower.create({ ...dense.config, moe }, seed);
  const expertSlots = [...tower.variables.keys()]
    .map((k) => /^(.*\.)moelayer\.experts\.(\d+)\.fc1\.weight$/.exec(k))
    .filter((m): m is RegExpExecArray => m !== null);
  const params: Record<string, { shape: readonly number[]; data: Float32Array }> = {};
  for (const [name, v] of dense.variables) {
    const entry = { shape: v.shape, data: Float32Array.from(readSyncGuarded(v, 'tower weights for upcycling (upcycle-tower.ts)') as Float32Array) };
    const mlp = /^(.*\.)mlp\.(fc[12]\.(?:weight|bias))$/.exec(name);
    if (!mlp) {
      params[name] = entry;
      continue;
    }
    for (const slot of expertSlots.filter((m) => m[1] === mlp[1])) params[`${mlp[1]}moelayer.experts.${slot[2]}.${mlp[2]}`] = entry;
  }
  tower.load(params, { partial: true });
  return tower;
}
