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
  need(b, p, 1);
  const c = b[p++];
  if (c < 0x80 || c >= 0xe0) return p; // fixint
  if (c <= 0x8f) return skipItems(b, p, (c & 15) * 2);
  if (c <= 0x9f) return skipItems(b, p, c & 15);
  if (c <= 0xbf) return past(b, p + (c & 31));
  switch (c) {
    case 0xc0: case 0xc2: case 0xc3: return p;
    case 0xcc: case 0xd0: return past(b, p + 1);
    case 0xcd: case 0xd1: return past(b, p + 2);
    case 0xca: case 0xce: case 0xd2: return past(b, p + 4);
    case 0xcb: case 0xcf: case 0xd3: return past(b, p + 8);
    case 0xd4: return past(b, p + 2);
    case 0xd5: return past(b, p + 3);
    case 0xd6: return past(b, p + 5);
    case 0xd7: return past(b, p + 9);
    case 0xd8: return past(b, p + 17);
    case 0xc4: case 0xd9: need(b, p, 1); return past(b, p + 1 + b[p]);
    case 0xc5: case 0xda: need(b, p, 2); return past(b, p + 2 + u16(b, p));
    case 0xc6: case 0xdb: need(b, p, 4); return past(b, p + 4 + u32(b, p));
    case 0xc7: need(b, p, 1); return past(b, p + 2 + b[p]);
    case 0xc8: need(b, p, 2); return past(b, p + 3 + u16(b, p));
    case 0xc9: need(b, p, 4); return past(b, p + 5 + u32(b, p));
    case 0xdc: need(b, p, 2); return skipItems(b, p + 2, u16(b, p));
    case 0xdd: need(b, p, 4); return skipItems(b, p + 4, u32(b, p));
    case 0xde: need(b, p, 2); return skipItems(b, p + 2, 2 * u16(b, p));
    case 0xdf: need(b, p, 4); return skipItems(b, p + 4, 2 * u32(b, p));
  }
  throw new Error(`not msgpack (0x${c.toString(16)})`);
}

export function skipItems(b: Uint8Array, p: number, n: number): number {
  for (let i = 0; i < n; i++) p = skip(b, p);
  return p;
}

function past(b: Uint8Array, end: number): number {
  if (end > b.length) throw TRUNCATED;
  return end;
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
