/**
 * Streaming XXH64 (seed 0 by default): the hash whose low 32 bits a zstd frame stores as its
 * optional content checksum. Written from the xxHash specification
 * (https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md). BigInt arithmetic keeps it
 * short and obviously right; 64-bit wrap-around is `BigInt.asUintN(64, …)`.
 */
const MASK = (1n << 64n) - 1n;
const P1 = 11400714785074694791n;
const P2 = 14029467366897019727n;
const P3 = 1609587929392839161n;
const P4 = 9650029242287828579n;
const P5 = 2870177450012600261n;

const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & MASK;
const round = (acc: bigint, lane: bigint): bigint => (rotl((acc + lane * P2) & MASK, 31n) * P1) & MASK;
const merge = (acc: bigint, v: bigint): bigint => (((acc ^ round(0n, v)) * P1) & MASK) + P4 & MASK;

export class Xxh64 {
  private readonly v = new BigUint64Array(4);
  /** Bytes not yet consumed as a whole 32-byte stripe. */
  private readonly tail = new Uint8Array(32);
  private tailLen = 0;
  private total = 0;

  constructor(private readonly seed = 0n) {
    this.v[0] = seed + P1 + P2;
    this.v[1] = seed + P2;
    this.v[2] = seed;
    this.v[3] = seed - P1;
  }

  update(data: Uint8Array): this {
    this.total += data.length;
    let p = 0;
    if (this.tailLen > 0) {
      const take = Math.min(32 - this.tailLen, data.length);
      this.tail.set(data.subarray(0, take), this.tailLen);
      this.tailLen += take;
      p = take;
      if (this.tailLen < 32) return this;
      this.stripe(new DataView(this.tail.buffer), 0);
      this.tailLen = 0;
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (; p + 32 <= data.length; p += 32) this.stripe(view, p);
    this.tail.set(data.subarray(p), 0);
    this.tailLen = data.length - p;
    return this;
  }

  /** The 64-bit digest of everything passed to `update` (the state is left unchanged). */
  digest(): bigint {
    const [v1, v2, v3, v4] = this.v as unknown as [bigint, bigint, bigint, bigint];
    let h: bigint;
    if (this.total >= 32) {
      h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & MASK;
      h = merge(merge(merge(merge(h, v1), v2), v3), v4);
    } else {
      h = (this.seed + P5) & MASK;
    }
    h = (h + BigInt(this.total)) & MASK;
    const view = new DataView(this.tail.buffer);
    let p = 0;
    for (; p + 8 <= this.tailLen; p += 8) {
      h ^= round(0n, view.getBigUint64(p, true));
      h = (rotl(h, 27n) * P1 + P4) & MASK;
    }
    if (p + 4 <= this.tailLen) {
      h ^= (BigInt(view.getUint32(p, true)) * P1) & MASK;
      h = (rotl(h, 23n) * P2 + P3) & MASK;
      p += 4;
    }
    for (; p < this.tailLen; p++) {
      h ^= (BigInt(this.tail[p]!) * P5) & MASK;
      h = (rotl(h, 11n) * P1) & MASK;
    }
    h ^= h >> 33n;
    h = (h * P2) & MASK;
    h ^= h >> 29n;
    h = (h * P3) & MASK;
    h ^= h >> 32n;
    return h;
  }

  private stripe(view: DataView, p: number): void {
    const v = this.v;
    v[0] = round(v[0]!, view.getBigUint64(p, true));
    v[1] = round(v[1]!, view.getBigUint64(p + 8, true));
    v[2] = round(v[2]!, view.getBigUint64(p + 16, true));
    v[3] = round(v[3]!, view.getBigUint64(p + 24, true));
  }
}

/** XXH64 of one buffer. */
export function xxh64(data: Uint8Array, seed = 0n): bigint {
  return new Xxh64(seed).update(data).digest();
}
