/** Layout facts of the report's plots that were wrong once (defect 12): read at a glance, nothing empty, nothing repeated. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { auxPanels, domainChart, expertLoadChart } from '../../src/cli/report/charts.js';
import { renderPng } from '../../src/cli/report/render.js';
import type { Rows } from '../../src/cli/report/run-db.js';

const E = 8;
const DOMAINS = ['RedPajamaArXiv', 'RedPajamaBook', 'RedPajamaC4', 'RedPajamaCommonCrawl', 'RedPajamaGithub', 'RedPajamaStackExchange', 'RedPajamaWikipedia'];

function loadRows(layers: number, bins = 60): Rows {
  const rows: Rows = [];
  for (let l = 0; l < layers; l++) for (let b = 0; b < bins; b++) for (let e = 0; e < E; e++) rows.push({ layer: l, expert: e, step_lo: 1 + b, step_hi: 2 + b, share: ((e + b + l) % E) / 28 });
  return rows;
}

function domainRows(layers: number): Rows {
  return Array.from({ length: layers }, (_, l) => DOMAINS.flatMap((domain, d) => Array.from({ length: E }, (_, e) => ({ layer: l, domain, expert: e, share: ((e + d + l) % E) / 28 })))).flat();
}

async function size(spec: Parameters<typeof renderPng>[0]): Promise<{ width: number; height: number; emptyRight: number }> {
  const path = join(await mkdtemp(join(tmpdir(), 'moeflow-layout-')), 'p.png');
  await renderPng(spec, path);
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  // Columns at the right edge with no non-white pixel: the part of the image nothing is drawn in.
  let used = 0;
  for (let x = info.width - 1; x >= 0 && !used; x--) {
    for (let y = 0; y < info.height; y++) {
      const i = (y * info.width + x) * info.channels;
      if (data[i]! < 240 || data[i + 1]! < 240 || data[i + 2]! < 240) { used = x + 1; break; }
    }
  }
  return { width: info.width, height: info.height, emptyRight: (info.width - used) / info.width };
}

test('expert load: one full-width row per layer, so the image grows down with layers and cells stay tall enough to read', async () => {
  const [two, four, six] = await Promise.all([2, 4, 6].map((l) => size(expertLoadChart('r', loadRows(l), E))));
  assert.equal(two!.width, four!.width, 'width does not depend on the number of layers');
  assert.equal(four!.width, six!.width);
  assert.ok(four!.height > two!.height && six!.height > four!.height, `heights ${two!.height}, ${four!.height}, ${six!.height}`);
  assert.ok(Math.abs((six!.height - four!.height) - (four!.height - two!.height)) <= 4, 'every layer adds the same height');
  // Rendered at scale 2: each layer's row is at least 12 px per expert at 1×.
  assert.ok((four!.height - two!.height) / 2 / 2 >= E * 12, `row height per layer ${(four!.height - two!.height) / 4} px`);
  assert.ok(two!.width / 2 >= 700, 'steps spread over a wide x axis');
  assert.ok(two!.emptyRight < 0.1, `empty right margin ${(two!.emptyRight * 100).toFixed(0)}%`);
});

test('domains: no empty half — the heatmaps, not a long subtitle, set the width', async () => {
  const runId = 'quickstart-20261205-131404';
  const d = await size(domainChart(runId, domainRows(4), E, 'steps 30–60'));
  assert.ok(d.emptyRight < 0.1, `empty right margin ${(d.emptyRight * 100).toFixed(0)}% of ${d.width}px`);
  assert.ok(d.height > d.width, `one row per layer stacks down: ${d.width}×${d.height}`);
});

test('aux panels: the total is not drawn again when it equals the single component in the objective', () => {
  const rows = [1, 2, 3].flatMap((step) => [
    { step, name: 'balance_loss', value: 0.05 / step },
    { step, name: 'balance_loss_unscaled', value: 5 / step },
    { step, name: 'total', value: 0.05 / step },
  ]);
  const panels = auxPanels(rows);
  const names = [...new Set(panels.map((r) => String(r.name)))];
  assert.deepEqual(names, ['balance_loss (= total)', 'balance_loss_unscaled']);
  assert.equal(panels.length, 6, 'no row of a kept panel is lost');
});

test('aux panels: a total that sums several components keeps its panel, labelled as the total', () => {
  const rows = [1, 2].flatMap((step) => [
    { step, name: 'balance_loss', value: 0.05 },
    { step, name: 'router_z_loss', value: 0.001 },
    { step, name: 'total', value: 0.051 },
  ]);
  const names = [...new Set(auxPanels(rows).map((r) => String(r.name)))];
  assert.deepEqual(names, ['balance_loss', 'router_z_loss', 'total (Σ entering the objective)']);
  assert.equal(new Set(names).size, names.length, 'panel names are unique');
});
