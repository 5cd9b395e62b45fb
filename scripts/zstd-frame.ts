import { xxh64 } from '../src/streams/zstd/xxh64.js';

/**
 * Minimal zstd *frame writer* using raw (stored) blocks: a valid .zst that any decoder
 * (fzstd, zstd CLI) reads, without compression. Used only when the `zstd` program is absent,
 * so fixtures can always be regenerated. The frame carries a content checksum (low 32 bits of
 * XXH64), so a flipped byte is an error instead of silently different text.
 */
export function zstdStored(data: Uint8Array): Uint8Array {
  const MAX_BLOCK = 128 * 1024;
  const blocks = Math.max(1, Math.ceil(data.length / MAX_BLOCK));
  const out = new Uint8Array(4 + 1 + 8 + blocks * 3 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0xfd2fb528, true); // magic
  out[4] = 0b1110_0100; // FCS field 8 bytes, single segment, content checksum
  view.setBigUint64(5, BigInt(data.length), true);
  let o = 13;
  for (let b = 0; b < blocks; b++) {
    const start = b * MAX_BLOCK;
    const size = Math.min(MAX_BLOCK, data.length - start);
    const last = b === blocks - 1 ? 1 : 0;
    const header = (size << 3) | (0 << 1) | last; // block type 0 = raw
    out[o] = header & 0xff; out[o + 1] = (header >> 8) & 0xff; out[o + 2] = (header >> 16) & 0xff;
    o += 3;
    out.set(data.subarray(start, start + size), o);
    o += size;
  }
  view.setUint32(o, Number(xxh64(data) & 0xffffffffn), true);
  return out;
}
