/**
 * Generates fixtures/llava-synthetic/: a small image-text set in LLaVA's format, drawn by this
 * project (SVG scenes of coloured shapes rendered to PNG by sharp; no third-party images):
 *
 *   images/synth-NNNN.png      64×64 scenes
 *   pretrain-train.json        captions ({"<image>\nDescribe …"} → caption): projector pre-training
 *   pretrain-heldout.json
 *   instruct-train.jsonl       question/answer conversations (2–3 rounds), plus text-only records
 *   instruct-heldout.jsonl
 *
 *   npm run build && node dist/scripts/make-llava-synthetic.js [outDir] [count]
 *
 * The records are the same on every run (seeded); the PNG bytes depend on the sharp/libvips build.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { Rng } from '../src/base/random.js';
import { TEXT_ONLY, caption, makeScene, questions, sceneSvg } from './llava-synthetic-scenes.js';

const PROMPTS = ['Describe the image.', 'What is in this picture?', 'Give a short caption.', 'What do you see?'];

export async function makeLlavaSynthetic(outDir: string, count = 300, heldOutShare = 0.2): Promise<{ train: number; heldOut: number }> {
  mkdirSync(join(outDir, 'images'), { recursive: true });
  const split = { train: { pretrain: [] as object[], instruct: [] as object[] }, heldout: { pretrain: [] as object[], instruct: [] as object[] } };
  for (let i = 0; i < count; i++) {
    const scene = makeScene(i);
    const image = `images/${scene.id}.png`;
    // compressionLevel and no adaptive filtering: small, stable files.
    writeFileSync(join(outDir, image), await sharp(Buffer.from(sceneSvg(scene))).png({ compressionLevel: 9, adaptiveFiltering: false, palette: true }).toBuffer());
    const rng = Rng.derive(2026, 'llava-synthetic-text', i);
    const part = rng.next() < heldOutShare ? split.heldout : split.train;
    part.pretrain.push({
      id: scene.id, image,
      conversations: [{ from: 'human', value: `${PROMPTS[rng.int(PROMPTS.length)]}\n<image>` }, { from: 'gpt', value: caption(scene) }],
    });
    const turns = questions(scene, rng).flatMap(([q, a], k) => [{ from: 'human', value: k === 0 ? `<image>\n${q}` : q }, { from: 'gpt', value: a }]);
    part.instruct.push({ id: `${scene.id}-qa`, image, conversations: turns });
    if (i % 10 === 9) {
      const [q, a] = TEXT_ONLY[rng.int(TEXT_ONLY.length)]!;
      part.instruct.push({ id: `${scene.id}-text`, conversations: [{ from: 'human', value: q }, { from: 'gpt', value: a }] });
    }
  }
  for (const [name, part] of [['train', split.train], ['heldout', split.heldout]] as const) {
    writeFileSync(join(outDir, `pretrain-${name}.json`), JSON.stringify(part.pretrain, null, 1) + '\n');
    writeFileSync(join(outDir, `instruct-${name}.jsonl`), part.instruct.map((r) => JSON.stringify(r)).join('\n') + '\n');
  }
  return { train: split.train.pretrain.length, heldOut: split.heldout.pretrain.length };
}

if (process.argv[1]?.endsWith('make-llava-synthetic.js')) {
  const out = process.argv[2] ?? 'fixtures/llava-synthetic';
  const count = Number(process.argv[3] ?? 300);
  const { train, heldOut } = await makeLlavaSynthetic(out, count);
  console.log(JSON.stringify({ out, images: count, train, heldOut }));
}
