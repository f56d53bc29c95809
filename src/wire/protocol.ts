// The wire format's TypeScript side: event kinds, value tags, the raw file header and the
// stream decoder. agent/PROTOCOL.md is the specification; agent/rewind_agent/wire.py is the
// Python side. Both test against agent/vectors/. Change all three together.
import { Unpackr, addExtension } from 'msgpackr';

import { WireError } from './rawfile.js';

export { MAGIC, RAW_HEADER, FLAG_CLOSED, FLAG_WARNED, WireError, readRawHeader, type RawHeader } from './rawfile.js';

export const VERSION = 3; // the newest stream this reader understands (HELLO's version)
export const EXT_FLOAT = 1;

export const K = {
  HELLO: 0, END: 1, FILE: 2, CODE: 3, NAME: 4, THREAD: 5, THREAD_END: 6, CALL: 7, LINE: 8,
  RETURN: 9, UNWIND: 10, YIELD: 11, RESUME: 12, EXCEPTION: 13, OUTPUT: 14, WARNING: 15, SYNC: 16,
  GLOBALS: 17, DROPPED: 18,
} as const;

export const T = {
  BIGINT: 0, LIST: 1, TUPLE: 2, SET: 3, FROZENSET: 4, DICT: 5, STR: 6, BYTES: 7, BYTEARRAY: 8,
  OBJECT: 9, DEEP: 10, CYCLE: 11, REDACTED: 12, OPAQUE: 13, REPR: 14, UNBOUND: 15, ERROR: 16,
  SUBCLASS: 17,
  PATCH: 18, // not a value: a local's change given as a patch of its previous encoding (patch.ts)
  CALLER: 19, // not a value: a call's argument that is the caller's local of this name (encoded.ts)
} as const;

/** A Python float; kept apart from JS numbers, which stand for Python ints. */
export class PyFloat {
  constructor(readonly value: number) {}
}

// Floats are read and written through one 8-byte scratch (msgpackr copies what pack returns at
// once): a Buffer made for each float was most of what a float-heavy run cost to index.
const scratch = Buffer.alloc(8);

addExtension({
  Class: PyFloat,
  type: EXT_FLOAT,
  pack(f: PyFloat) {
    scratch.writeDoubleBE(f.value, 0);
    return scratch;
  },
  unpack(b: Uint8Array) {
    for (let i = 0; i < 8; i++) scratch[i] = b[i];
    return new PyFloat(scratch.readDoubleBE(0));
  },
});

/** A decoded wire value: msgpack scalars, or a tagged array (see T). */
export type WireValue = null | boolean | number | bigint | string | PyFloat | Uint8Array | WireArray;
export type WireArray = [number, ...WireValue[]];

/** One decoded event: a bare line number (a LINE without changes) or a kind-tagged array. */
export type WireEvent = number | [number, ...unknown[]];

export const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'auto' } as any);


/**
 * Decodes whole events from `buf`, giving each to `each` as soon as it is decoded, and returns
 * how many bytes were used: a stream cut inside an event (a truncated file) stops before the cut.
 * Events are not collected first: a chunk's tens of thousands of events held at once outlived
 * the young generation, and collecting them was half of what indexing cost.
 */
export function visitEvents(buf: Uint8Array, each: (e: WireEvent) => void): number {
  let used = 0;
  let failed: unknown = null; // what `each` threw: passed on as it is
  try {
    unpackr.unpackMultiple(buf as Buffer, (value: unknown, start?: number, end?: number) => {
      if (typeof value !== 'number' && !(Array.isArray(value) && typeof value[0] === 'number')) {
        throw new WireError(`not a Rewind event at stream byte ${start ?? used}`);
      }
      try {
        each(value as WireEvent);
      } catch (e) {
        failed = e;
        throw e;
      }
      used = end ?? used;
    });
  } catch (e: any) {
    if (e instanceof WireError || (failed !== null && e === failed)) throw e;
    if (!e?.incomplete) throw new WireError(`the stream is corrupt near byte ${used}`);
  }
  return used;
}

/** The whole events in `buf` (see visitEvents). */
export function decodeEvents(buf: Uint8Array): { events: WireEvent[]; used: number } {
  const events: WireEvent[] = [];
  const used = visitEvents(buf, (e) => events.push(e));
  return { events, used };
}
