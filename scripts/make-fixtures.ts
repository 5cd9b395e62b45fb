/**
 * Generates fixtures/slimpajama/: small SlimPajama-format shards ({"text", "meta":
 * {"redpajama_set_name"}}) across the 7 RedPajama domains, from templates written for this
 * project and a seeded RNG (no third-party text). Same output on every run.
 *
 *   npm run build && node dist/scripts/make-fixtures.js [outDir]
 *
 * Writes <shard>.jsonl and <shard>.jsonl.zst (zstd -19 when the `zstd` program exists,
 * otherwise a stored zstd frame). Every .zst carries a content checksum (XXH64), so a corrupted
 * fixture fails to decode instead of yielding different text.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../src/base/random.js';
import { DOMAIN_WRITERS } from './fixture-text.js';
import { zstdStored } from './zstd-frame.js';

const SHARDS = 3;
const DOCS_PER_DOMAIN = [110, 110, 80, 16, 36, 70, 60]; // per shard, roughly SlimPajama's domain mix

/** One shard's jsonl bytes (deterministic). */
export function fixtureShard(shard: number): Buffer {
  const rng = Rng.derive(2024, 'fixtures', shard);
  const docs: string[] = [];
  Object.keys(DOMAIN_WRITERS).forEach((d, i) => {
    for (let k = 0; k < DOCS_PER_DOMAIN[i]!; k++) {
      const text = DOMAIN_WRITERS[d]!(Rng.derive(2024, d, shard, k));
      docs.push(JSON.stringify({ text, meta: { redpajama_set_name: d } }));
    }
  });
  rng.shuffle(docs); // domains interleaved, as in real shards
  return Buffer.from(docs.join('\n') + '\n', 'utf8');
}

export function makeFixtures(outDir: string, shards = SHARDS): void {
mkdirSync(outDir, { recursive: true });
let total = 0;
for (let shard = 0; shard < shards; shard++) {
  const jsonl = fixtureShard(shard);
  const base = join(outDir, `example_train_${shard}.jsonl`);
  writeFileSync(base, jsonl);
  const z = spawnSync('zstd', ['-19', '-q', '-c', '--check'], { input: jsonl, maxBuffer: 1 << 28 });
  const zst = z.status === 0 && z.stdout.length > 0 ? z.stdout : zstdStored(jsonl);
  writeFileSync(`${base}.zst`, zst);
  total += jsonl.length + zst.length;
  console.log(`${base}: ${jsonl.toString('utf8').split('\n').length - 1} docs, ${jsonl.length} bytes (.zst ${zst.length}${z.status === 0 ? '' : ', stored: zstd program not found'})`);
}
console.log(`total ${total} bytes in ${outDir}`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/dist\//, '/dist/'))) {
  makeFixtures(process.argv[2] ?? 'fixtures/slimpajama');
}
