// Writing a block as its events arrive, straight into the msgpack of store.ts's columns
// (format 6: [count, frames, kinds, frame of each, lines, payloads]; unpackBlock and
// blockview.ts read it). A payload the agent already encoded (a line's changes, a call's
// arguments, a return value) is copied as its bytes: decoding values only to encode them
// again was a fifth to a third of what indexing cost.
import { Packr } from 'msgpackr';
import { writeLatin1 } from '../wire/encoded.js';

const NIL = 0xc0;
const SLOTS = 1024;

export class BlockWriter {
  /** Events in the block so far. */
  length = 0;
  private frames: number[] = []; // (thread, frame, depth, code) of each frame the events are in, flat
  private kinds: number[] = [];
  private at: number[] = []; // each event's entry in `frames`
  private lines: number[] = [];
  // Frame id -> its latest entry in `frames`, by the id's low bits (ids that share them take
  // turns: an entry written twice costs a few bytes, a Map per block cost a tenth of indexing).
  private slotFrame = new Float64Array(SLOTS).fill(-1);
  private slotEntry = new Int32Array(SLOTS);
  private payloads = Buffer.allocUnsafe(1 << 16); // the payload column's items, encoded
  private end = 0;
  private lastPayload = 0; // where the last event's payload begins
  private out = Buffer.allocUnsafe(0); // finish's scratch

  constructor(private packr: Packr) {}

  /** An event whose payload items are JS values (none: null). */
  add(kind: number, thread: number, frame: number, depth: number, code: number, line: number, items: unknown[] | null) {
    this.header(kind, thread, frame, depth, code, line);
    this.payload(items);
  }

  /**
   * An event whose payload is `count` items the agent encoded, bytes from..to of `src`; `nested`:
   * they are the payload's one item, a list (a line's changes, a call's arguments).
   */
  addEncoded(kind: number, thread: number, frame: number, depth: number, code: number, line: number,
    src: Uint8Array, from: number, to: number, count: number, nested: boolean) {
    this.encodedHeader(kind, thread, frame, depth, code, line, to - from, count, nested);
    this.copy(src, from, to);
  }

  /**
   * The same, the payload's bytes made of `pieces` in order: a pair of numbers, the bytes of
   * `src` from one to the other, or a one-byte string, its bytes (a value the indexer rebuilt).
   */
  addPieces(kind: number, thread: number, frame: number, depth: number, code: number, line: number,
    src: Uint8Array, pieces: (number | string)[], count: number, nested: boolean) {
    let size = 0;
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i];
      size += typeof p === 'string' ? p.length : (pieces[++i] as number) - p;
    }
    this.encodedHeader(kind, thread, frame, depth, code, line, size, count, nested);
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (typeof piece === 'string') this.end = writeLatin1(this.payloads, piece, this.end);
      else this.copy(src, piece, pieces[++i] as number);
    }
  }

  /** An event's header, and its payload's up to the `size` bytes of its items, with room for them. */
  private encodedHeader(kind: number, thread: number, frame: number, depth: number, code: number, line: number,
    size: number, count: number, nested: boolean) {
    this.header(kind, thread, frame, depth, code, line);
    this.room(11 + size);
    if (nested) this.payloads[this.end++] = 0x91;
    this.end = arrayHeader(this.payloads, this.end, count);
  }

  /** Bytes from..to of src onto the payloads (their room made). */
  private copy(src: Uint8Array, from: number, to: number) {
    const out = this.payloads;
    let p = this.end;
    if (to - from > 64) {
      out.set(new Uint8Array(src.buffer, src.byteOffset + from, to - from), p);
      p += to - from;
    } else {
      for (let i = from; i < to; i++) out[p++] = src[i]; // most are a few bytes: no view made
    }
    this.end = p;
  }

  /** Gives the last event other payload items (output written in pieces becomes one event). */
  replaceLastPayload(items: unknown[]) {
    this.end = this.lastPayload;
    this.payload(items);
  }

  /**
   * The block's bytes; the writer starts the next block empty. `scratch`: in a buffer of the
   * writer's, valid until the next finish (a LevelDB batch copies what it is given; a new
   * buffer for each block was a twentieth of indexing).
   */
  finish(scratch = false): Buffer {
    const n = this.length, nf = this.frames.length;
    const size = 1 + 9 + 5 + 9 * nf + 3 * (5 + 9 * n) + 5 + this.end;
    if (scratch && this.out.length < size) this.out = Buffer.allocUnsafe(Math.max(size, 2 * this.out.length));
    const out = scratch ? this.out : Buffer.allocUnsafe(size);
    out[0] = 0x96;
    let p = uint(out, 1, n);
    p = uints(out, p, this.frames, nf);
    p = uints(out, p, this.kinds, n);
    p = uints(out, p, this.at, n);
    p = uints(out, p, this.lines, n);
    p = arrayHeader(out, p, n);
    this.payloads.copy(out, p, 0, this.end);
    p += this.end;
    this.length = 0;
    this.frames.length = 0;
    this.slotFrame.fill(-1);
    this.end = 0;
    return out.subarray(0, p);
  }

  private header(kind: number, thread: number, frame: number, depth: number, code: number, line: number) {
    const f = this.frames;
    const slot = frame & (SLOTS - 1);
    let c = this.slotEntry[slot];
    if (this.slotFrame[slot] !== frame || f[c] !== thread || f[c + 2] !== depth || f[c + 3] !== code) {
      c = f.length;
      f.push(thread, frame, depth, code);
      this.slotFrame[slot] = frame;
      this.slotEntry[slot] = c;
    }
    const i = this.length++;
    this.kinds[i] = kind;
    this.at[i] = c / 4;
    this.lines[i] = line;
    this.lastPayload = this.end;
  }

  private payload(items: unknown[] | null) {
    if (items === null) {
      this.room(1);
      this.payloads[this.end++] = NIL;
      return;
    }
    const b = this.packr.pack(items); // valid until the next pack: copied now
    this.room(b.length);
    b.copy(this.payloads, this.end);
    this.end += b.length;
  }

  private room(n: number) {
    if (this.end + n <= this.payloads.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.payloads.length, this.end + n));
    this.payloads.copy(grown, 0, 0, this.end);
    this.payloads = grown;
  }
}

function arrayHeader(b: Buffer, p: number, n: number): number {
  if (n < 16) { b[p] = 0x90 | n; return p + 1; }
  if (n < 0x10000) { b[p] = 0xdc; b.writeUInt16BE(n, p + 1); return p + 3; }
  b[p] = 0xdd;
  b.writeUInt32BE(n, p + 1);
  return p + 5;
}

/** An integer (header fields are never negative) in the fewest bytes, as msgpackr writes it. */
function uint(b: Buffer, p: number, v: number): number {
  if (v < 0) { b[p] = 0xd3; b.writeBigInt64BE(BigInt(v), p + 1); return p + 9; }
  if (v < 0x80) { b[p] = v; return p + 1; }
  if (v < 0x100) { b[p] = 0xcc; b[p + 1] = v; return p + 2; }
  if (v < 0x10000) { b[p] = 0xcd; b.writeUInt16BE(v, p + 1); return p + 3; }
  if (v < 0x100000000) { b[p] = 0xce; b.writeUInt32BE(v, p + 1); return p + 5; }
  b[p] = 0xcf;
  b.writeBigUInt64BE(BigInt(v), p + 1);
  return p + 9;
}

function uints(b: Buffer, p: number, vs: number[], n: number): number {
  p = arrayHeader(b, p, n);
  for (let i = 0; i < n; i++) p = uint(b, p, vs[i]);
  return p;
}
