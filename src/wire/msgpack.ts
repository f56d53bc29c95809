// Walking msgpack bytes without building values: where a value ends, how long an array is,
// a small integer. Shared by the stream's reader for indexing (encoded.ts) and the stored
// block's reader (store/blockview.ts).

/** Thrown when the bytes end inside a value (a stream cut as it is written). */
export class Truncated extends Error {
  constructor() { super('msgpack bytes end inside a value'); }
}
const TRUNCATED = new Truncated(); // thrown often at a chunk's end: made once

/** Throws unless n bytes from p lie within b. */
export function need(b: Uint8Array, p: number, n: number): void {
  if (p + n > b.length) throw TRUNCATED;
}

const u16 = (b: Uint8Array, p: number) => (b[p] << 8) | b[p + 1];
const u32 = (b: Uint8Array, p: number) => ((b[p] << 24) >>> 0) + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);

/** Where the value that begins at p ends. */
export function skip(b: Uint8Array, p: number): number {
  return skipItems(b, p, 1);
}

/**
 * Where the n values that begin at p end. A container only adds its items to the count of
 * values left: no call per item (an object-heavy stream is mostly nested lists).
 */
export function skipItems(b: Uint8Array, p: number, n: number): number {
  const len = b.length;
  for (let left = n; left > 0; left--) {
    if (p >= len) throw TRUNCATED;
    const c = b[p++];
    if (c < 0x80 || c >= 0xe0) continue; // fixint
    if (c <= 0x8f) { left += (c & 15) * 2; continue; }
    if (c <= 0x9f) { left += c & 15; continue; }
    if (c <= 0xbf) { p += c & 31; continue; }
    switch (c) {
      case 0xc0: case 0xc2: case 0xc3: continue;
      case 0xcc: case 0xd0: p += 1; continue;
      case 0xcd: case 0xd1: p += 2; continue;
      case 0xca: case 0xce: case 0xd2: p += 4; continue;
      case 0xcb: case 0xcf: case 0xd3: p += 8; continue;
      case 0xd4: p += 2; continue;
      case 0xd5: p += 3; continue;
      case 0xd6: p += 5; continue;
      case 0xd7: p += 9; continue;
      case 0xd8: p += 17; continue;
    }
    if (c === 0xc1) throw new Error('not msgpack (0xc1)');
    // A length follows: it must be there to be read.
    const w = c === 0xc4 || c === 0xd9 || c === 0xc7 ? 1 : c === 0xc5 || c === 0xda || c === 0xc8 || c === 0xdc || c === 0xde ? 2 : 4;
    need(b, p, w);
    const k = w === 1 ? b[p] : w === 2 ? u16(b, p) : u32(b, p);
    p += w;
    switch (c) {
      case 0xc4: case 0xd9: case 0xc5: case 0xda: case 0xc6: case 0xdb: p += k; continue; // bin, str
      case 0xc7: case 0xc8: case 0xc9: p += 1 + k; continue; // ext: type, data
      case 0xdc: case 0xdd: left += k; continue;
      case 0xde: case 0xdf: left += 2 * k; continue;
    }
  }
  if (p > len) throw TRUNCATED;
  return p;
}

/** The length of the array that begins at p, or -1 if none does; `headerEnd()` then says where its items begin. */
export function arrayAt(b: Uint8Array, p: number): number {
  need(b, p, 1);
  const c = b[p];
  if (c >= 0x90 && c <= 0x9f) { at = p + 1; return c & 15; }
  if (c === 0xdc) { need(b, p, 3); at = p + 3; return u16(b, p + 1); }
  if (c === 0xdd) { need(b, p, 5); at = p + 5; return u32(b, p + 1); }
  return -1;
}

let at = 0;
/** Where the last array (arrayAt) or integer (uintAt) read ends. */
export const headerEnd = () => at;

/** The non-negative integer that begins at p, or -1 if none does (the end: headerEnd()). */
export function uintAt(b: Uint8Array, p: number): number {
  need(b, p, 1);
  const c = b[p];
  if (c < 0x80) { at = p + 1; return c; }
  switch (c) {
    case 0xcc: need(b, p, 2); at = p + 2; return b[p + 1];
    case 0xcd: need(b, p, 3); at = p + 3; return u16(b, p + 1);
    case 0xce: need(b, p, 5); at = p + 5; return u32(b, p + 1);
  }
  return -1;
}
