// The agent's stream decoded for indexing, with every recorded value kept as the bytes the
// agent wrote: the indexer stores values, it does not look into them, so decoding each one to
// encode it again into a block (most of what indexing used to cost) is left out. A RawValue is
// packed by msgpackr as those bytes, as they are.
import { addExtension } from 'msgpackr';
import { Cursor, Incomplete } from './cursor.js';
import { K, WireError, unpackr, type WireEvent } from './protocol.js';

/** A wire value as its msgpack bytes (agent/PROTOCOL.md, Values). */
export class RawValue {
  constructor(readonly bytes: Buffer) {}

  /** The UNBOUND marker ([15]): a local deleted. */
  get unbound(): boolean {
    return this.bytes.length === 2 && this.bytes[0] === 0x91 && this.bytes[1] === 0x0f;
  }
}

addExtension({
  Class: RawValue,
  type: 0x52, // never written: pack() below writes the value's own bytes in place of an extension
  pack(v: RawValue, allocate: (size: number) => { target: Uint8Array; position: number }) {
    const { target, position } = allocate(v.bytes.length);
    target.set(v.bytes, position);
  },
} as any);

/** Where events of a kind carry values: from `first` on, every `every`-th item (1: from first on, all). */
const VALUES: Record<number, { first: number; every: number }> = {
  [K.LINE]: { first: 3, every: 2 }, // line, (name, value)*
  [K.CALL]: { first: 4, every: 2 }, // frame, code, (name, value)*
  [K.GLOBALS]: { first: 3, every: 2 }, // module, (name, value)*
  [K.RETURN]: { first: 1, every: 99 }, // value[, out]
  [K.YIELD]: { first: 1, every: 99 },
};

class StreamCursor extends Cursor {
  protected bad(what: string): never {
    throw new WireError(`the stream is corrupt near byte ${this.p} (${what})`);
  }

  /** A scalar header field: an integer, nil or a boolean (what value-carrying events hold besides values). */
  scalar(): unknown {
    const c = this.buf[this.p];
    if (c === 0xc0) { this.p++; return null; }
    if (c === 0xc2 || c === 0xc3) { this.p++; return c === 0xc3; }
    const n = this.uint();
    if (n < 0) this.bad('a field that is not a number');
    return n;
  }
}

/** A whole event that carries no values (HELLO, CODE, FILE...), decoded. */
function unpackOne(bytes: Buffer, at: number): WireEvent {
  try {
    return unpackr.unpack(bytes) as WireEvent;
  } catch {
    throw new WireError(`the stream is corrupt near byte ${at}`);
  }
}

/**
 * The complete events at the start of `buf` (as decodeEvents), values as RawValue (copied out
 * of `buf`, which may be reused), and how many bytes they took.
 */
export function decodeEventsRaw(buf: Buffer): { events: WireEvent[]; used: number } {
  const events: WireEvent[] = [];
  const c = new StreamCursor();
  c.buf = buf;
  let used = 0;
  try {
    while (c.p < buf.length) {
      const start = c.p;
      if (!c.isArray()) {
        const line = c.uint();
        if (line < 0) throw new WireError(`not a Rewind event at stream byte ${start}`);
        events.push(line);
      } else {
        const n = c.arrayLength();
        const kind = n ? c.uint() : -1;
        if (kind < 0) throw new WireError(`not a Rewind event at stream byte ${start}`);
        const at = VALUES[kind];
        if (at) {
          const e: unknown[] = [kind];
          for (let i = 1; i < n; i++) {
            if (i >= at.first && (i - at.first) % at.every === 0) {
              const from = c.p;
              c.skip();
              e.push(new RawValue(Buffer.from(buf.subarray(from, c.p))));
            } else e.push(c.scalar());
          }
          events.push(e as WireEvent);
        } else {
          c.p = start;
          c.skip();
          events.push(unpackOne(buf.subarray(start, c.p), start));
        }
      }
      used = c.p;
    }
  } catch (e) {
    if (!(e instanceof Incomplete) && !(e instanceof RangeError)) throw e;
  }
  return { events, used };
}
