/**
 * Image path throughput on real images, in one run. Prints one JSON object.
 *
 *   npm run build && node dist/bench/image-pipeline.js [count=1200] [--workers 2] [--rounds 3] [--memory N]
 *
 * Input: the shared LLaVA images (../shared/data/llava/images, or $MOEFLOW_SHARED) repeated to
 * `count` records of a generated .jsonl file. Measured, each over all records:
 *   fullPath    llava source → preprocessImages (CLIP-336, pad, PIL-exact resize, normalise,
 *               worker threads): images/s
 *   sharpRaw    sharp's own decode + resize to 336×336 (libvips, 4 at a time) of the same files
 *   pillow      Debian's python3-pil doing the same preprocessing (decode, RGB, pad, shortest
 *               edge 336 bicubic, centre crop, scale and normalise to float32 with Pillow's own
 *               `point` on 'F' images) on the same files in `workers` processes, when
 *               /usr/bin/python3 has PIL. Its tensors stay in its processes (the full path
 *               delivers them to this thread): that part is in Pillow's favour.
 * The three sides run in `rounds` interleaved rounds (the order rotates from round to round),
 * so each sees the machine's load of the same minute; the figures are the medians over rounds,
 * the ratios those of the medians (each round's own ratios are listed too).
 * Targets (issue 9): fullPath ≥ 0.9 × sharpRaw, fullPath ≥ 2 × pillow.
 * `--memory N`: also stream N images to a slow consumer (2 ms per item) and report the heap and
 * RSS growth (after GC) sampled every 500 images, and the process's peak RSS (worker threads included).
 * The 1/5/15-minute load average before and after is printed too: the machine may be shared.
 * Figures: docs/operators.md ("Benchmark: bench/image-pipeline.ts").
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import sharp from 'sharp';
import { llava } from '../src/streams/llava/llava.js';
import { pipe } from '../src/streams/pipe.js';
import { preprocessImages } from '../src/ops/preprocess-images.js';
import type { ImageTextRecord } from '../src/ops/items/image-text-record.js';
import { PYTHON, anchorEnv, sharedDir } from './python-anchor.js';

const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const option = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const count = Number(positional[0] ?? 1200);
const workers = option('workers', 2);
const memoryImages = option('memory', 0);
const rounds = option('rounds', 3);
const shared = resolve(sharedDir());
const imageDir = join(shared, 'data', 'llava', 'images');
if (!existsSync(imageDir)) { console.error(`no images at ${imageDir}`); process.exit(1); }
const names = readdirSync(imageDir).filter((n) => /\.(jpe?g|png|webp|gif)$/i.test(n)).sort();
const paths = Array.from({ length: count }, (_, i) => join(imageDir, names[i % names.length]!));
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

const dir = mkdtempSync(join(tmpdir(), 'moeflow-image-bench-'));
/** A .jsonl of `n` records cycling through the images. */
function writeRecords(file: string, n: number): string {
  const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ id: String(i), image: names[i % names.length], conversations: [{ from: 'human', value: '<image>\nQ' }, { from: 'gpt', value: 'A' }] }));
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}
const records = writeRecords(join(dir, 'records.jsonl'), count);

type Timing = { seconds: number; images: number; imagesPerSecond: number; cpuMsPerImage: number };
/** Wall time and CPU time (this process, all its threads) of one side. */
async function timed(fn: () => Promise<number>): Promise<Timing> {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const images = await fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return { seconds: round(seconds), images, imagesPerSecond: round(images / seconds, 1), cpuMsPerImage: round((used.user + used.system) / 1e3 / images) };
}

const fullPath = async (limit = Infinity, delayMs = 0, sample?: (n: number) => void, files = records): Promise<number> => {
  const flow = pipe(llava({ files, imageRoot: imageDir, shuffleFiles: false }), preprocessImages<ImageTextRecord>({ processor: 'clip336', workers }));
  let n = 0;
  for await (const item of flow()) {
    if (!item.pixels) throw new Error('no pixels');
    n++;
    sample?.(n);
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    if (n >= limit) break;
  }
  return n;
};

const sharpRaw = async (): Promise<number> => {
  let next = 0;
  const lane = async () => {
    while (next < paths.length) {
      const p = paths[next++]!;
      await sharp(p).resize(336, 336, { fit: 'fill', kernel: 'cubic' }).removeAlpha().raw().toBuffer();
    }
  };
  await Promise.all(Array.from({ length: 4 }, lane));
  return paths.length;
};

const PILLOW = `
import os, sys, time
from multiprocessing import Pool
from PIL import Image
MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)
def one(path):
    im = Image.open(path).convert('RGB')
    w, h = im.size
    if w != h:
        side = max(w, h)
        sq = Image.new('RGB', (side, side), tuple(int(x * 255) for x in MEAN))
        sq.paste(im, ((side - w) // 2, (side - h) // 2))
        im = sq
    w, h = im.size
    s = 336
    nw, nh = (s, int(s * h / w)) if w <= h else (int(s * w / h), s)
    im = im.resize((nw, nh), Image.BICUBIC)
    left, top = (nw - s) // 2, (nh - s) // 2
    im = im.crop((left, top, left + s, top + s))
    # (x / 255 - mean) / std per channel as float32 planes ([3, 336, 336]).
    planes = [ch.convert('F').point(lambda x, a=1 / (255 * STD[c]), b=-MEAN[c] / STD[c]: x * a + b) for c, ch in enumerate(im.split())]
    return len(b''.join(p.tobytes() for p in planes))
paths = sys.stdin.read().split('\\n')
start, cpu = time.time(), os.times()
pool = Pool(int(sys.argv[1]))
n = sum(1 for _ in pool.imap(one, paths, chunksize=8))
pool.close()
pool.join()
end = os.times()
# CPU of this process and of its reaped pool processes.
print(n, time.time() - start, sum(end[:4]) - sum(cpu[:4]))
`;

function pillow(): (Timing & { version: string }) | { skipped: string } {
  const probe = spawnSync(PYTHON, ['-c', 'import PIL; print(PIL.__version__)'], { encoding: 'utf8' });
  if (probe.status !== 0) return { skipped: '/usr/bin/python3 has no PIL (apt-get install python3-pil)' };
  const run = spawnSync(PYTHON, ['-c', PILLOW, String(workers)], { input: paths.join('\n'), encoding: 'utf8', maxBuffer: 1 << 24, env: anchorEnv() });
  if (run.status !== 0) return { skipped: `pillow run failed: ${run.stderr}` };
  const [n, seconds, cpuSeconds] = run.stdout.trim().split(/\s+/).map(Number) as [number, number, number];
  return { seconds: round(seconds), images: n, imagesPerSecond: round(n / seconds, 1), cpuMsPerImage: round((cpuSeconds * 1e3) / n), version: probe.stdout.trim() };
}

async function memory(n: number) {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  const base = process.memoryUsage();
  const samples: { images: number; heapMB: number; rssMB: number }[] = [];
  const file = writeRecords(join(dir, 'memory.jsonl'), n);
  await fullPath(n, 2, (k) => {
    if (k % 500 !== 0) return;
    gc();
    const m = process.memoryUsage();
    samples.push({ images: k, heapMB: round((m.heapUsed - base.heapUsed) / 2 ** 20, 1), rssMB: round((m.rss - base.rss) / 2 ** 20, 1) });
  }, file);
  const end = process.memoryUsage();
  return {
    images: n, consumerDelayMs: 2, baseRssMB: round(base.rss / 2 ** 20, 1), endRssMB: round(end.rss / 2 ** 20, 1),
    maxRssMB: round(process.resourceUsage().maxRSS / 1024, 1), growthAfterGc: samples,
  };
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

const loadBefore = loadavg().map((x) => round(x));
try {
  await fullPath(Math.min(30, count)); // warm-up: workers, sharp, page cache
  const sides = {
    fullPath: () => timed(() => fullPath()),
    sharpRaw: () => timed(sharpRaw),
    pillow: async () => pillow(),
  };
  const sideNames = Object.keys(sides) as (keyof typeof sides)[];
  const runs: Record<keyof typeof sides, (Timing | { skipped: string })[]> = { fullPath: [], sharpRaw: [], pillow: [] };
  const perRound: { order: string[]; load: number; fullOverSharpRaw: number; fullOverPillow: number | null }[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = sideNames.map((_, i) => sideNames[(i + r) % sideNames.length]!);
    const got: Partial<Record<keyof typeof sides, Timing | { skipped: string }>> = {};
    for (const side of order) { const t = await sides[side](); got[side] = t; runs[side].push(t); }
    const ips = (t: Timing | { skipped: string } | undefined) => (t !== undefined && 'imagesPerSecond' in t ? t.imagesPerSecond : undefined);
    const f = ips(got.fullPath)!, sr = ips(got.sharpRaw)!, pil = ips(got.pillow);
    perRound.push({ order, load: round(loadavg()[0]!), fullOverSharpRaw: round(f / sr), fullOverPillow: pil ? round(f / pil) : null });
  }
  type Summary = { imagesPerSecond: number; cpuMsPerImage: number; rounds: number[]; cpuMsPerImageRounds: number[] };
  const summary = (side: keyof typeof sides): Summary | { skipped: string } => {
    const timings = runs[side].filter((t): t is Timing => 'imagesPerSecond' in t);
    if (timings.length === 0) return runs[side][0] as { skipped: string };
    const ips = timings.map((t) => t.imagesPerSecond), cpu = timings.map((t) => t.cpuMsPerImage);
    return { imagesPerSecond: round(median(ips), 1), cpuMsPerImage: round(median(cpu)), rounds: ips, cpuMsPerImageRounds: cpu };
  };
  const full = summary('fullPath') as Summary;
  const raw = summary('sharpRaw') as Summary;
  const pil = summary('pillow');
  const result = {
    images: count, files: names, cpus: cpus().length, workers, rounds, loadAverage: { before: loadBefore, after: loadavg().map((x) => round(x)) },
    fullPath: full, sharpRaw: raw, pillow: pil,
    // Wall-clock images/s (the targets), and CPU time per image (all threads and processes of a
    // side): the second hardly moves with the machine's load, the first does.
    ratios: {
      fullOverSharpRaw: round(full.imagesPerSecond / raw.imagesPerSecond),
      fullOverPillow: 'imagesPerSecond' in pil ? round(full.imagesPerSecond / pil.imagesPerSecond) : null,
      cpuFullOverSharpRaw: round(raw.cpuMsPerImage / full.cpuMsPerImage),
      cpuFullOverPillow: 'cpuMsPerImage' in pil ? round(pil.cpuMsPerImage / full.cpuMsPerImage) : null,
    },
    perRound,
    targets: { fullOverSharpRaw: 0.9, fullOverPillow: 2 },
    ...(memoryImages > 0 ? { memory: await memory(memoryImages) } : {}),
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
