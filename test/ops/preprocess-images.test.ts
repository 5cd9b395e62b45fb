import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { plainChildEnv } from '../support/child-env.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { pipe } from '../../src/streams/pipe.js';
import { fromArray } from '../../src/streams/from-array.js';
import type { Flow } from '../../src/streams/stage.js';
import { preprocessImages } from '../../src/ops/preprocess-images.js';
import { ImagePool } from '../../src/ops/image/image-pool.js';
import type { ImageTextRecord } from '../../src/ops/items/image-text-record.js';
import { assertResumesExactly, collectGarbage, drain } from './helpers.js';
import { preprocessImage } from '../../src/ops/image/preprocess.js';
import { CLIP_336 } from '../../src/ops/image/processor.js';

const dir = mkdtempSync(join(tmpdir(), 'moeflow-image-op-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Small images of varied sizes and colours (a gradient, so resizing has work to do). */
async function drawImages(count: number): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const w = 20 + ((i * 7) % 31);
    const h = 15 + ((i * 11) % 29);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><defs><linearGradient id="g"><stop offset="0" stop-color="rgb(${i * 20 % 255},40,90)"/><stop offset="1" stop-color="rgb(10,${i * 33 % 255},200)"/></linearGradient></defs><rect width="${w}" height="${h}" fill="url(#g)"/><circle cx="${w / 2}" cy="${h / 2}" r="${Math.min(w, h) / 3}" fill="white"/></svg>`;
    const path = join(dir, `img${i}.${i % 2 ? 'png' : 'jpg'}`);
    writeFileSync(path, await (i % 2 ? sharp(Buffer.from(svg)).png() : sharp(Buffer.from(svg)).jpeg()).toBuffer());
    paths.push(path);
  }
  return paths;
}

function records(paths: readonly (string | undefined)[]): ImageTextRecord[] {
  return paths.map((image, i) => ({
    modality: image === undefined ? 'text' : 'image',
    ...(image !== undefined ? { image } : {}),
    conversations: [{ from: 'human', value: image ? '<image>\nQ' : 'Q' }, { from: 'gpt', value: 'A' }],
    provenance: { file: 'data.json', record: i, id: `r${i}` },
  }));
}

test('every image item gets its [3, H, W] float32 pixels; text-only items pass through; order is the input order', async () => {
  const paths = await drawImages(6);
  const input = records([paths[0], undefined, paths[1], paths[2], undefined, paths[3]]);
  const stage = pipe(fromArray(input), preprocessImages<ImageTextRecord>({ processor: 'siglip224', workers: 2 }))();
  const out = await drain(stage);
  assert.deepEqual(out.map((s) => s.provenance.id), input.map((r) => r.provenance.id));
  for (const s of out) {
    if (s.modality === 'text') { assert.equal(s.pixels, undefined); continue; }
    assert.deepEqual(s.pixels!.shape, [3, 224, 224]);
    assert.equal(s.pixels!.data.length, 3 * 224 * 224);
    assert.ok(s.pixels!.data.every((v) => v >= -1 && v <= 1), 'SigLIP values lie in [−1, 1]');
  }
  const stats = stage.stats!() as { read: number; images: number; textOnly: number; skipped: number };
  assert.deepEqual([stats.read, stats.images, stats.textOnly, stats.skipped], [6, 4, 2, 0]);
});

test('the result does not depend on the number of workers (0, 1 or 3) or how many images are in flight', async () => {
  const input = records(await drawImages(9));
  const run = async (workers: number, inFlight: number) => (await drain(pipe(fromArray(input), preprocessImages<ImageTextRecord>({ processor: 'clip336', workers, inFlight }))()))
    .map((s) => s.pixels!.data);
  const reference = await run(0, 1);
  assert.deepEqual(await run(1, 2), reference);
  assert.deepEqual(await run(3, 5), reference);
});

test('resumes exactly through the image operator: images in flight at a checkpoint are processed again', async () => {
  const paths = await drawImages(7);
  const input = records([paths[0], undefined, paths[1], paths[2], paths[3], undefined, paths[4], paths[5], paths[6]]);
  const pool = new ImagePool(2);
  try {
    const flow: Flow<ImageTextRecord & { pixels?: unknown }> = pipe(fromArray(input), preprocessImages<ImageTextRecord>({ processor: 'siglip224', pool, inFlight: 3 }));
    for (const [a, b] of [[0, 2], [1, 1], [4, 3], [8, 1]] as const) await assertResumesExactly(flow, a, b);
  } finally { await pool.close(); }
});

test('reads at most inFlight items ahead of what it delivered', async () => {
  const input = records(await drawImages(8));
  let pulled = 0;
  const counting: Flow<ImageTextRecord> = (resume) => {
    const inner = fromArray(input)(resume);
    return { state: () => inner.state(), async *[Symbol.asyncIterator]() { for await (const r of inner) { pulled++; yield r; } } };
  };
  const stage = pipe(counting, preprocessImages<ImageTextRecord>({ processor: 'siglip224', workers: 1, inFlight: 3 }))();
  let delivered = 0;
  for await (const _ of stage) {
    delivered++;
    // The item in hand and at most inFlight − 1 more were read.
    assert.ok(pulled - delivered < 3, `pulled ${pulled}, delivered ${delivered}`);
  }
  assert.equal(delivered, 8);
});

test('a bad image fails naming file, record, id, reason and path, or is skipped and counted (read = used + skipped)', async () => {
  const [good] = await drawImages(1);
  writeFileSync(join(dir, 'empty.jpg'), '');
  writeFileSync(join(dir, 'noise.png'), 'no image here');
  const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: 'gray' } }).jpeg().toBuffer();
  writeFileSync(join(dir, 'cut.jpg'), jpeg.subarray(0, jpeg.length >> 1));
  const input = records([good, join(dir, 'absent.jpg'), undefined, join(dir, 'empty.jpg'), join(dir, 'cut.jpg'), join(dir, 'noise.png'), good]);

  await assert.rejects(drain(pipe(fromArray(input), preprocessImages<ImageTextRecord>({ processor: 'siglip224', workers: 1 }))()),
    new RegExp(`^Error: preprocessImages: data\\.json: record 1 \\(id r1\\): missing_image: ${join(dir, 'absent.jpg').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));

  const stage = pipe(fromArray(input), preprocessImages<ImageTextRecord>({ processor: 'siglip224', workers: 1, onError: 'skip' }))();
  const out = await drain(stage);
  assert.deepEqual(out.map((s) => s.provenance.id), ['r0', 'r2', 'r6']);
  const stats = stage.stats!() as { read: number; images: number; textOnly: number; skipped: number; skippedByReason: Record<string, number> };
  assert.deepEqual(stats.skippedByReason, { missing_image: 1, empty_image: 1, truncated_image: 1, undecodable_image: 1 });
  assert.equal(stats.read, stats.images + stats.textOnly + stats.skipped);
});

test('the pool writes later images into the buffers of results nobody holds any more, and never into one still held', async () => {
  const paths = await drawImages(6);
  const pool = new ImagePool(1);
  const job = (i: number) => ({ path: paths[i % paths.length]!, spec: CLIP_336, aspect: 'pad' as const, layout: 'chw' as const, orientation: 'exif' as const });
  const expected = await Promise.all(paths.map((p) => preprocessImage(p, CLIP_336)));
  // Held for the whole test: its buffer must never be handed back.
  const kept = await pool.run(job(0));
  const keptCopy = kept.data.slice();
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < paths.length; i++) {
      const got = await pool.run(job(i));
      assert.deepEqual(got.data, expected[i]!.data, `round ${round}, image ${i}: the same values in a reused buffer`);
    }
    collectGarbage();
    await new Promise((r) => setTimeout(r, 20)); // finalizers, then the buffers' trip to the worker
  }
  const { results, reused } = pool.stats();
  assert.equal(results, 1 + 6 * paths.length);
  assert.ok(reused > 0, `some results reused a buffer (${reused} of ${results})`);
  assert.equal(kept.data.length, 3 * 336 * 336, 'the held result is not detached');
  assert.deepEqual(kept.data, keptCopy, 'the held result was never overwritten');
  await pool.close();
});

test('closing an idle pool resolves (its unref\'d workers do not let the process exit with close() pending)', async () => {
  const [path] = await drawImages(1);
  const pool = new ImagePool(1);
  await pool.run({ path: path!, spec: (await import('../../src/ops/image/processor.js')).PROCESSORS['siglip224']!, aspect: 'pad', layout: 'chw', orientation: 'exif' });
  await pool.close();
  assert.ok(true, 'reached after close()');
});

/**
 * Runs `body` (ESM, with `pipe`, `fromArray`, `preprocessImages`, `ImagePool`, `PROCESSORS`
 * and `records` in scope) in a child process: its exit code and output show whether anything
 * was left pending (exit 13: unsettled top-level await), rejected unhandled (exit 1) or holding
 * the process open (killed by the guard timeout).
 */
let children = 0;
function inChild(body: string, images: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const src = (p: string) => JSON.stringify(new URL(`../../src/${p}`, import.meta.url).href);
  const script = `
    import { pipe } from ${src('streams/pipe.js')};
    import { fromArray } from ${src('streams/from-array.js')};
    import { preprocessImages } from ${src('ops/preprocess-images.js')};
    import { ImagePool } from ${src('ops/image/image-pool.js')};
    import { PROCESSORS } from ${src('ops/image/processor.js')};
    const images = ${JSON.stringify(images)};
    const records = (n) => Array.from({ length: n }, (_, i) => ({ modality: 'image', image: images[i % images.length], conversations: [], provenance: { file: 'x.json', record: i } }));
    ${body}
    console.log('handles', JSON.stringify(process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap')));
  `;
  const file = join(dir, `child${children++}.mjs`);
  writeFileSync(file, script);
  // Colour-free child output, also when the suite runs in a terminal (defect 1 of issue 7).
  const run = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000, env: plainChildEnv() });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Large images, so that jobs are still running when the consumer stops. */
async function largeImages(count: number): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, `large${i}.png`);
    const noise = Buffer.alloc(1200 * 900 * 3);
    for (let p = 0; p < noise.length; p++) noise[p] = (p * 2654435761 + i * 977) >>> 24;
    writeFileSync(path, await sharp(noise, { raw: { width: 1200, height: 900, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer());
    paths.push(path);
  }
  return paths;
}

test('closing a pool with jobs queued rejects each with PoolClosedError and lets the process exit (no pending promise, no handle)', async () => {
  const images = await largeImages(2);
  // Submitted and closed in the same tick: no worker can have answered, so every job is in flight.
  const child = inChild(`
    const pool = new ImagePool(2);
    const jobs = records(8).map((r) => pool.run({ path: r.image, spec: PROCESSORS.clip336, aspect: 'pad', layout: 'chw', orientation: 'exif' }));
    const outcomes = Promise.allSettled(jobs);
    await pool.close();
    const settled = await outcomes;
    console.log('settled', JSON.stringify(settled.map((s) => s.status === 'rejected' && s.reason.name === 'PoolClosedError')));
    await pool.close();
    await pool.run({ path: images[0], spec: PROCESSORS.clip336, aspect: 'pad', layout: 'chw', orientation: 'exif' }).catch((e) => console.log('after close', e.name));
  `, images);
  assert.equal(child.status, 0, `exit ${child.status}: ${child.stderr}`);
  assert.match(child.stdout, /^settled \[true,true,true,true,true,true,true,true\]$/m);
  assert.match(child.stdout, /^after close PoolClosedError$/m);
  assert.match(child.stdout, /^handles \[\]$/m, 'the workers are gone');
});

test('a consumer stopping early (break, or close() with a next() pending) ends the flow, terminates the workers, and the process exits', async () => {
  const images = await largeImages(2);
  const child = inChild(`
    process.on('unhandledRejection', (e) => { console.log('unhandled', e.message); process.exitCode = 3; });
    let n = 0;
    for await (const item of pipe(fromArray(records(12)), preprocessImages({ processor: 'clip336', workers: 2 }))()) if (++n === 2) break;
    console.log('break after', n);
    // The first next() waits on an image being decoded when close() comes.
    const stage = pipe(fromArray(records(12)), preprocessImages({ processor: 'clip336', workers: 2, inFlight: 4 }))();
    const iterator = stage[Symbol.asyncIterator]();
    const first = iterator.next();
    await new Promise((resolve) => setImmediate(resolve));
    await stage.close();
    const result = await first;
    console.log('after close', result.done, JSON.stringify(await iterator.next()));
  `, images);
  assert.equal(child.status, 0, `exit ${child.status} (13: a promise left pending): ${child.stdout} ${child.stderr}`);
  assert.match(child.stdout, /^break after 2$/m);
  assert.match(child.stdout, /^after close true \{"done":true\}$/m);
  assert.doesNotMatch(child.stdout, /unhandled/);
  assert.match(child.stdout, /^handles \[\]$/m, 'no worker or port is left');
});
