/**
 * GPT-2's byte ↔ printable-character table that byte-level BPE works on. Byte `b` maps to one
 * visible character, so every UTF-8 string is spelled with these 256 symbols and a vocabulary
 * that contains all of them can encode (and decode back) any text exactly.
 */
export function byteLevelChars(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const chars = new Array<string>(256);
  const isPrintable = new Set(printable);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    chars[b] = String.fromCodePoint(isPrintable.has(b) ? b : 256 + shifted++);
  }
  return chars;
}
