/**
 * Generates fixtures/eval/vlm/: small POPE, ScienceQA-IMG and MME files in lmms-eval's field
 * layouts, about scenes this project draws (the synthetic shapes of llava-synthetic-scenes.ts,
 * scenes 1000+, which the LLaVA fixtures do not use). Questions and answers follow from the
 * scenes, so the gold answers are true of the pictures.
 *
 *   npm run build && node dist/scripts/make-vlm-eval-fixtures.js [outDir]
 *
 * The rows are the same on every run; PNG bytes depend on the sharp/libvips build.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { COLOURS, SHAPES, makeScene, place, sceneSvg, type Colour, type Scene } from './llava-synthetic-scenes.js';

const FIRST = 1000;
const NUMBERS = ['zero', 'one', 'two', 'three', 'four'];

function absent(scene: Scene, k: number): { colour: Colour; shape: string } {
  const colours = Object.keys(COLOURS) as Colour[];
  for (let j = 0; j < colours.length * SHAPES.length; j++) {
    const colour = colours[(k + j) % colours.length]!;
    const shape = SHAPES[(k + 2 * j) % SHAPES.length]!;
    if (!scene.objects.some((o) => o.colour === colour && o.shape === shape)) return { colour, shape };
  }
  throw new Error(`scene ${scene.id}: no absent object`);
}

/** "a" or "an" before a colour word. */
const an = (word: string): string => (/^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`);

const line = (rows: readonly object[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

export async function makeVlmEvalFixtures(outDir: string): Promise<void> {
  mkdirSync(join(outDir, 'images'), { recursive: true });
  mkdirSync(join(outDir, 'bad'), { recursive: true });
  const scenes = Array.from({ length: 8 }, (_, i) => makeScene(FIRST + i));
  for (const s of scenes) {
    writeFileSync(join(outDir, 'images', `${s.id}.png`), await sharp(Buffer.from(sceneSvg(s))).png({ compressionLevel: 9, adaptiveFiltering: false, palette: true }).toBuffer());
  }
  const image = (s: Scene): string => `images/${s.id}.png`;

  // POPE: per scene one present object ("yes") and one absent ("no"); categories in turn.
  const categories = ['random', 'popular', 'adversarial'];
  const pope = scenes.slice(0, 6).flatMap((s, i) => {
    const o = s.objects[0]!;
    const a = absent(s, i);
    const category = categories[i % 3]!;
    return [
      { question_id: String(2 * i + 1), question: `Is there ${an(o.colour)} ${o.shape} in the image?`, answer: 'yes', image: image(s), category, image_source: s.id },
      { question_id: String(2 * i + 2), question: `Is there ${an(a.colour)} ${a.shape} in the image?`, answer: 'no', image: image(s), category, image_source: s.id },
    ];
  });
  writeFileSync(join(outDir, 'pope.jsonl'), line(pope));

  // ScienceQA-IMG: which shape is where; one text-only question (lmms-eval leaves it out).
  const sqa: object[] = scenes.slice(0, 4).map((s, i) => {
    const o = s.objects[0]!;
    const choices = [...SHAPES].slice(0, 3 + (i % 2));
    if (!choices.includes(o.shape)) choices[choices.length - 1] = o.shape;
    return {
      question: `Which shape is ${place(o.row, o.col)}?`, choices, answer: choices.indexOf(o.shape),
      hint: i % 2 === 0 ? 'The picture shows coloured shapes on a three-by-three grid.' : '',
      image: image(s), task: 'closed choice', grade: 'grade1', subject: i < 2 ? 'natural science' : 'language science',
      topic: 'shapes', category: 'Shapes', skill: 'Identify shapes', lecture: '', solution: `The ${o.colour} shape ${place(o.row, o.col)} is a ${o.shape}.`,
    };
  });
  sqa.splice(2, 0, {
    question: 'How many sides does a triangle have?', choices: ['two', 'three', 'four'], answer: 1, hint: '', image: null,
    task: 'closed choice', grade: 'grade1', subject: 'natural science', topic: 'shapes', category: 'Shapes', skill: 'Count sides', lecture: '', solution: 'A triangle has three sides.',
  });
  writeFileSync(join(outDir, 'scienceqa_img.jsonl'), line(sqa));

  // MME: two questions per image (one yes, one no), 4 perception and 2 cognition categories.
  const yn = ' Please answer yes or no.';
  const mme = scenes.slice(0, 6).flatMap((s, i) => {
    const o = s.objects[0]!;
    const n = s.objects.length;
    const a = absent(s, i);
    const other = (Object.keys(COLOURS) as Colour[]).find((c) => c !== o.colour)!;
    const pairs: [string, [string, string], [string, string]][] = [
      ['existence', [`Is there a ${o.shape} in this image?`, 'Yes'], [`Is there ${an(a.colour)} ${a.shape} in this image?`, 'No']],
      ['count', [`Are there ${NUMBERS[n]} shapes in this image?`, 'Yes'], [`Are there ${NUMBERS[n + 1]} shapes in this image?`, 'No']],
      ['color', [`Is the ${o.shape} ${place(o.row, o.col)} ${o.colour}?`, 'Yes'], [`Is the ${o.shape} ${place(o.row, o.col)} ${other}?`, 'No']],
      ['position', [`Is the ${o.colour} ${o.shape} ${place(o.row, o.col)}?`, 'Yes'], [`Is the ${o.colour} ${o.shape} ${place(o.row, (o.col + 1) % 3)}?`, 'No']],
      ['numerical_calculation', [`Is the number of shapes plus two equal to ${n + 2}?`, 'Yes'], [`Is the number of shapes plus two equal to ${n + 3}?`, 'No']],
      ['commonsense_reasoning', [`Would the ${o.shape} still be in the picture if it were turned upside down?`, 'Yes'], [`Is the picture empty?`, 'No']],
    ];
    const [category, yes, no] = pairs[i]!;
    const question_id = `${category}/${s.id}.png`;
    return [yes, no].map(([q, answer]) => ({ question_id, question: `${q}${yn}`, answer, image: image(s), category }));
  });
  writeFileSync(join(outDir, 'mme.jsonl'), line(mme));

  // The same POPE rows as Parquet with the image bytes embedded (HF's Image struct {bytes, path}).
  await popeParquet(outDir, pope);

  // Bad rows, one reason per line (see README.md).
  const s0 = scenes[0]!;
  writeFileSync(join(outDir, 'bad', 'pope.jsonl'), [
    JSON.stringify({ question_id: 'b1', question: `Is there a ${s0.objects[0]!.shape} in the image?`, answer: 'yes', image: `../${image(s0)}`, category: 'random', image_source: s0.id }),
    '{"question_id": "b2", "question": "Is there a cat?", "answer": ',
    JSON.stringify({ question_id: 'b3', question: 'Is there a dog in the image?', answer: 'maybe', image: `../${image(s0)}`, category: 'random', image_source: s0.id }),
    JSON.stringify({ question_id: 'b4', question: 'Is there a dog in the image?', answer: 'no', image: '../images/missing.png', category: 'random', image_source: 'missing' }),
    JSON.stringify({ question_id: 'b5', question: 'Is there a dog in the image?', answer: 'no', category: 'random', image_source: s0.id }),
    JSON.stringify({ question_id: 'b6', question: 'Is there a dog in the image?', answer: 'No', image: `../${image(s0)}`, category: 'popular', image_source: s0.id }),
  ].join('\n') + '\n');
  const good = mme.slice(0, 2).map((r) => ({ ...r, image: `../${r.image}` }));
  writeFileSync(join(outDir, 'bad', 'mme.jsonl'), line([
    ...good,
    { ...good[0]!, question_id: 'existence/lonely.png' },
    { ...good[1]!, question_id: 'colour/x.png', category: 'colour' },
    { ...good[0]!, question_id: 'colour/x.png', category: 'colour' },
  ]));
}

async function popeParquet(outDir: string, rows: readonly Record<string, string>[]): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const tmp = join(outDir, 'pope-tmp.jsonl');
  writeFileSync(tmp, line(rows.map((r) => ({ ...r, b64: readFileSync(join(outDir, r['image']!)).toString('base64'), name: r['image']!.split('/').pop() }))));
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  try {
    const q = (p: string): string => `'${resolve(p).replaceAll("'", "''")}'`;
    await con.run(`COPY (SELECT question_id, question, answer, {'bytes': from_base64(b64), 'path': name} AS image, category, image_source FROM read_json(${q(tmp)}, format = 'newline_delimited')) TO ${q(join(outDir, 'pope.parquet'))} (FORMAT parquet)`);
  } finally {
    con.closeSync();
    inst.closeSync();
    rmSync(tmp);
  }
}

if (process.argv[1]?.endsWith('make-vlm-eval-fixtures.js')) {
  const out = process.argv[2] ?? 'fixtures/eval/vlm';
  await makeVlmEvalFixtures(out);
  console.log(JSON.stringify({ out }));
}
