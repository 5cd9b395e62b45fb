import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ImageError, decodeImage } from '../../src/ops/image/decode-image.js';
import { SIGLIP_224, expandToSquare, normalise, padColour } from '../../src/ops/image/processor.js';
import { pilBicubicResize } from '../../src/ops/image/pil-bicubic.js';

const solid = (width: number, height: number, rgb: [number, number, number]) =>
  sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'moeflow-images-'));
  try { await fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

/** The distinct RGB triples of an image. */
function colours(data: Uint8Array): string[] {
  const set = new Set<string>();
  for (let i = 0; i < data.length; i += 3) set.add(`${data[i]},${data[i + 1]},${data[i + 2]}`);
  return [...set];
}

test('decoding gives 8-bit RGB from grayscale, RGBA (alpha dropped, not composited) and palette images', async () => {
  await withDir(async (dir) => {
    writeFileSync(join(dir, 'gray.png'), await solid(3, 2, [90, 90, 90]).toColourspace('b-w').png().toBuffer());
    const gray = await decodeImage(join(dir, 'gray.png'));
    assert.deepEqual([gray.width, gray.height, colours(gray.data)], [3, 2, ['90,90,90']]);

    const rgba = sharp({ create: { width: 2, height: 2, channels: 4, background: { r: 200, g: 40, b: 10, alpha: 0 } } });
    writeFileSync(join(dir, 'rgba.png'), await rgba.png().toBuffer());
    // PIL's convert('RGB') keeps the colour under a fully transparent alpha.
    assert.deepEqual(colours((await decodeImage(join(dir, 'rgba.png'))).data), ['200,40,10']);

    writeFileSync(join(dir, 'palette.png'), await solid(4, 4, [10, 200, 30]).png({ palette: true, colours: 2, dither: 0 }).toBuffer());
    assert.equal((await sharp(join(dir, 'palette.png')).metadata()).isPalette, true);
    assert.deepEqual(colours((await decodeImage(join(dir, 'palette.png'))).data), ['10,200,30']);
  });
});

test('an animation gives its first frame; a PNG named .jpg decodes by its content', async () => {
  await withDir(async (dir) => {
    const red = await solid(4, 4, [255, 0, 0]).png().toBuffer();
    const blue = await solid(4, 4, [0, 0, 255]).png().toBuffer();
    writeFileSync(join(dir, 'anim.gif'), await sharp([red, blue], { join: { animated: true } }).gif().toBuffer());
    const first = await decodeImage(join(dir, 'anim.gif'));
    assert.deepEqual([first.width, first.height, colours(first.data)], [4, 4, ['255,0,0']]);

    writeFileSync(join(dir, 'lies.jpg'), red);
    assert.deepEqual(colours((await decodeImage(join(dir, 'lies.jpg'))).data), ['255,0,0']);
  });
});

test('EXIF orientation is applied by default and ignored on request (as LibMoE\'s PIL path does)', async () => {
  await withDir(async (dir) => {
    writeFileSync(join(dir, 'rotated.jpg'), await solid(6, 2, [0, 128, 0]).jpeg().withMetadata({ orientation: 6 }).toBuffer());
    const upright = await decodeImage(join(dir, 'rotated.jpg'));
    assert.deepEqual([upright.width, upright.height], [2, 6]);
    const raw = await decodeImage(join(dir, 'rotated.jpg'), { orientation: 'ignore' });
    assert.deepEqual([raw.width, raw.height], [6, 2]);
  });
});

test('missing, empty, truncated and undecodable images fail with their reason and path', async () => {
  await withDir(async (dir) => {
    const jpeg = await solid(64, 64, [1, 2, 3]).jpeg().toBuffer();
    writeFileSync(join(dir, 'empty.jpg'), '');
    writeFileSync(join(dir, 'cut.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    writeFileSync(join(dir, 'noise.jpg'), Buffer.from('this is not an image at all, just text'));
    const cases: [string, string][] = [['absent.jpg', 'missing_image'], ['empty.jpg', 'empty_image'], ['cut.jpg', 'truncated_image'], ['noise.jpg', 'undecodable_image']];
    for (const [name, reason] of cases) {
      const path = join(dir, name);
      await assert.rejects(decodeImage(path), (error: unknown) => {
        assert.ok(error instanceof ImageError, String(error));
        assert.equal(error.reason, reason, `${name}: ${error.message}`);
        assert.ok(error.message.startsWith(`${reason}: ${path}: `), error.message);
        return true;
      });
    }
    // The untouched file is fine.
    writeFileSync(join(dir, 'whole.jpg'), jpeg);
    assert.equal((await decodeImage(join(dir, 'whole.jpg'))).width, 64);
  });
});

test('expand2square centres the image on the processor\'s mean colour; normalise maps it to (x/255 − mean)/std', () => {
  const image = { data: new Uint8Array(2 * 1 * 3).fill(255), width: 2, height: 1 };
  const square = expandToSquare(image, padColour(SIGLIP_224));
  assert.deepEqual([square.width, square.height], [2, 2]);
  // (side − h) // 2 = 0: the image is the top row, the pad the bottom one.
  assert.deepEqual(Array.from(square.data), [255, 255, 255, 255, 255, 255, 127, 127, 127, 127, 127, 127]);
  const chw = normalise(square, SIGLIP_224, 'chw');
  assert.deepEqual(Array.from(chw.subarray(0, 4)), [1, 1, Math.fround(Math.fround(Math.fround(127 / 255) - 0.5) / 0.5), Math.fround(Math.fround(Math.fround(127 / 255) - 0.5) / 0.5)]);
  assert.equal(normalise(square, SIGLIP_224, 'hwc').length, 12);
});

test('the PIL bicubic resize keeps a constant image constant and reproduces a hand-computed 1-D case', () => {
  const flat = new Uint8Array(5 * 3 * 3).fill(77);
  assert.ok(pilBicubicResize(flat, 5, 3, 11, 7).every((v) => v === 77));
  // 4 → 2 pixels, one row: scale 2, support 4, centre 1 for output 0, taps at (x − 0.5)/2 = −0.25, 0.25,
  // 0.75, 1.25 with kernel values 0.8671875, 0.8671875, 0.2265625, −0.0703125 (a = −0.5), sum 1.890625.
  // Row 0, 0, 255, 255: 255 · (0.2265625 − 0.0703125) / 1.890625 = 21.07 → 21; by symmetry 233.93 → 234.
  const row = Uint8Array.from([0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255]);
  assert.deepEqual(Array.from(pilBicubicResize(row, 4, 1, 2, 1)), [21, 21, 21, 234, 234, 234]);
});

test('shared LLaVA images decode to the exact RGB bytes PIL gives (skips when ../shared is absent)', async (t) => {
  const file = join(process.cwd(), '..', 'shared', 'golden', 'vlm_model', 'image_preprocess__siglip224__extreme_ironing.json');
  let expected: { rgb_sha256: string };
  try { expected = (JSON.parse(readFileSync(file, 'utf8')) as { cases: { expected: { source_image: { rgb_sha256: string } } }[] }).cases[0]!.expected.source_image; }
  catch { t.skip(`golden image case not found: ${file}`); return; }
  const { createHash } = await import('node:crypto');
  const decoded = await decodeImage(join(process.cwd(), '..', 'shared', 'data', 'llava', 'images', 'extreme_ironing.jpg'), { orientation: 'ignore' });
  assert.equal(createHash('sha256').update(decoded.data).digest('hex'), expected.rgb_sha256);
});
