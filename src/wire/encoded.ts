// The agent's stream as the indexer reads it: the events decodeEvents (protocol.ts) gives,
// except that a recorded value other than an int, a float, None or a bool stays as the agent
// encoded it (an Encoded). The indexer keeps each variable's latest value to write it into a
// snapshot as it came; decoding every value of the run only to encode the few a snapshot keeps
// was most of the time indexing an object-heavy program took.
import { addExtension, pack } from 'msgpackr';
import { EXT_FLOAT, K, PyFloat, T, WireError, unpackr, type WireEvent } from './protocol.js';
import { Truncated, arrayAt, headerEnd, need, skip } from './msgpack.js';

/**
 * A recorded value as the agent encoded it: its msgpack bytes, held as a one-byte string (a
 * string is far cheaper to make than a small typed array, and holds no chunk of the stream).
 */
export class Encoded {
  constructor(readonly latin1: string) {}
}

// Packed as its bytes (no extension header: pack writes in place and returns nothing), so a
// snapshot holds exactly what the agent sent. The type is never written.
addExtension({
  Class: Encoded,
  type: 0x7f,
  pack(v: Encoded, alloc: (n: number) => { target: Uint8Array; position: number }) {
    const { target, position } = alloc(v.latin1.length);
    writeLatin1(target, v.latin1, position);
  },
} as any);

/** Writes the bytes of a one-byte string `s` into `target` at `at`; returns where they end. */
export function writeLatin1(target: Uint8Array, s: string, at: number): number {
  if (s.length > 32 && target instanceof Buffer) return at + target.write(s, at, s.length, 'latin1'); // a native copy; a call costs more for a few bytes
  for (let i = 0; i < s.length; i++) target[at++] = s.charCodeAt(i);
  return at;
}

const UNBOUND = String.fromCharCode(0x91, T.UNBOUND);

/** [T.ERROR, type name id]: a value that could not be read, shown as `<name (unreadable)>`. */
export const unreadable = (name: number): Encoded => new Encoded(pack([T.ERROR, name]).toString('latin1'));

/**
 * The name id of a call's argument given as the caller's local ([T.CALLER, name id]: the same
 * object, unchanged since the caller last gave it), or null for any other value.
 */
export function callerName(latin1: string): number | null {
  if (latin1.charCodeAt(0) !== 0x92 || latin1.charCodeAt(1) !== T.CALLER) return null;
  const c = latin1.charCodeAt(2);
  if (c < 0x80) return c;
  let n = c === 0xcc ? 1 : c === 0xcd ? 2 : c === 0xce ? 4 : 0;
  if (!n || latin1.length !== 3 + n) return null;
  let id = 0;
  for (let i = 3; n--; i++) id = id * 256 + latin1.charCodeAt(i);
  return id;
}

/** A deletion (T.UNBOUND), as decoded or as encoded. */
export function isUnbound(v: unknown): boolean {
  if (v instanceof Encoded) return v.latin1 === UNBOUND;
  return Array.isArray(v) && v[0] === T.UNBOUND;
}

/** The kinds whose items are read here (ints, a few scalars, the rest kept encoded); the others go through msgpackr whole. */
const HOT = new Set<number>([K.CALL, K.LINE, K.RETURN, K.UNWIND, K.YIELD, K.RESUME, K.GLOBALS]);

/**
 * As visitEvents (protocol.ts): gives each whole event in `buf` from byte `from` on to `each`
 * with its bytes' start and end, at most `max` of them, and returns where it stopped (a cut
 * event is left for later).
 */
export function visitEncoded(buf: Uint8Array, each: (e: WireEvent, start: number, end: number) => void, from = 0, max = Infinity): number {
  let p = from;
  for (let n = 0; p < buf.length && n < max; n++) {
    const start = p;
    if (buf[p] < 0x80) { // a bare line number, most events
      end = ++p;
      each(buf[start], start, p);
      continue;
    }
    let e: WireEvent;
    try {
      e = event(buf, p);
    } catch (x) {
      if (x instanceof Truncated) return start;
      if (x instanceof WireError) throw x;
      throw new WireError(`the stream is corrupt near byte ${start}`);
    }
    p = end;
    each(e, start, p);
  }
  return p;
}

let end = 0; // where the last event or item read ends
const starts: number[] = []; // where each item of the last event read begins (the kinds read here), then its end

/**
 * Where item i of the event being handed over begins (a call's, a line's, a return's; its end
 * for the item past its last): what follows can be copied as the agent's bytes.
 */
export const itemStart = (i: number): number => starts[i];

function event(b: Uint8Array, p: number): WireEvent {
  const n = arrayAt(b, p);
  if (n < 0) {
    const line = item(b, p);
    if (typeof line !== 'number') throw new WireError(`not a Rewind event at stream byte ${p}`);
    return line;
  }
  let q = headerEnd();
  if (n > 0 && HOT.has(b[q])) {
    const e = new Array(n) as [number, ...unknown[]];
    for (let i = 0; i < n; i++) {
      starts[i] = q;
      e[i] = item(b, q);
      q = end;
    }
    starts[n] = q; // an item past the last begins at the end
    return e;
  }
  end = skip(b, p);
  const e = unpackr.unpack(b.subarray(p, end) as Buffer);
  if (!Array.isArray(e) || typeof e[0] !== 'number') throw new WireError(`not a Rewind event at stream byte ${p}`);
  return e as WireEvent;
}

const scratch = new DataView(new ArrayBuffer(8));
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, start: number, end: number): string }).latin1Slice;

/** A value of n bytes at p: they must all be there. */
function sized(b: Uint8Array, p: number, n: number) {
  need(b, p, n);
  end = p + n;
}

/** The value at p: ints, floats, None and bools decoded, anything else kept Encoded. */
function item(b: Uint8Array, p: number): unknown {
  const c = b[p];
  if (c < 0x80) { end = p + 1; return c; }
  if (c >= 0xe0) { end = p + 1; return c - 0x100; }
  switch (c) {
    case 0xc0: end = p + 1; return null;
    case 0xc2: end = p + 1; return false;
    case 0xc3: end = p + 1; return true;
    case 0xcc: sized(b, p, 2); return b[p + 1];
    case 0xcd: sized(b, p, 3); return (b[p + 1] << 8) | b[p + 2];
    case 0xce: sized(b, p, 5); return ((b[p + 1] << 24) >>> 0) + ((b[p + 2] << 16) | (b[p + 3] << 8) | b[p + 4]);
    case 0xd0: sized(b, p, 2); return (b[p + 1] << 24) >> 24;
    case 0xd1: sized(b, p, 3); return (((b[p + 1] << 8) | b[p + 2]) << 16) >> 16;
    case 0xd2: sized(b, p, 5); return (b[p + 1] << 24) | (b[p + 2] << 16) | (b[p + 3] << 8) | b[p + 4];
    case 0xd7:
      if (b[p + 1] === EXT_FLOAT) {
        sized(b, p, 10);
        for (let i = 0; i < 8; i++) scratch.setUint8(i, b[p + 2 + i]);
        return new PyFloat(scratch.getFloat64(0));
      }
  }
  end = skip(b, p);
  return new Encoded(latin1Slice.call(b, p, end));
}
