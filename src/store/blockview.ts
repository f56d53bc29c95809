// Reading a stored block in place: the events' headers (kind, thread, frame, depth, code,
// line) straight from the msgpack bytes into typed arrays, and a payload only when asked.
// Scans that look at every event but keep few of them (history reads ten million events
// for a million changes) spend their time building arrays they throw away; this builds none.
//
// It reads exactly what blockwriter.ts writes: columns [count, frames, kinds, frame of
// each, lines, payloads], or, formats 2 to 5, rows: a msgpack array of events, each an array
// [kind, thread, frame, depth, code, line, ...payload]. Header fields are non-negative integers.
import { packr } from './store.js';
import { skip, skipItems } from '../wire/msgpack.js';

const HEADER = 6;

export class BlockView {
  /** Event i's header fields. */
  readonly kind = new Int32Array(256);
  readonly thread = new Int32Array(256);
  readonly frame = new Int32Array(256);
  readonly depth = new Int32Array(256);
  readonly code = new Int32Array(256);
  readonly line = new Int32Array(256);
  /** Where event i's first payload item starts (-1: none). */
  private payload = new Int32Array(256);
  private frames = new Int32Array(4 * 256); // a columns block's (thread, frame, depth, code) list
  private buf: Buffer = Buffer.alloc(0);
  private p = 0;
  length = 0;

  /** Reads the headers of a block's events (the view is reused from block to block). */
  load(buf: Buffer): this {
    this.buf = buf;
    this.p = 0;
    const n = this.arrayLength();
    return n === 0 || this.isArray() ? this.rows(n) : this.columns();
  }

  private columns(): this {
    const n = this.uint();
    if (n > this.kind.length) throw new Error(`a block of ${n} events`);
    const nf = this.arrayLength();
    if (nf > this.frames.length) throw new Error(`a block in ${nf / 4} frames`);
    for (let j = 0; j < nf; j++) this.frames[j] = this.uint();
    this.arrayLength();
    for (let i = 0; i < n; i++) this.kind[i] = this.uint();
    this.arrayLength();
    for (let i = 0; i < n; i++) {
      const c = 4 * this.uint();
      this.thread[i] = this.frames[c];
      this.frame[i] = this.frames[c + 1];
      this.depth[i] = this.frames[c + 2];
      this.code[i] = this.frames[c + 3];
    }
    this.arrayLength();
    for (let i = 0; i < n; i++) this.line[i] = this.uint();
    this.arrayLength();
    for (let i = 0; i < n; i++) {
      if (this.buf[this.p] === 0xc0) { // nil: no payload
        this.p++;
        this.payload[i] = -1;
        continue;
      }
      const items = this.arrayLength();
      this.payload[i] = this.p;
      this.skipItems(items);
    }
    this.length = n;
    return this;
  }

  private rows(n: number): this {
    if (n > this.kind.length) throw new Error(`a block of ${n} events`);
    for (let i = 0; i < n; i++) {
      const items = this.arrayLength();
      this.kind[i] = this.uint();
      this.thread[i] = this.uint();
      this.frame[i] = this.uint();
      this.depth[i] = this.uint();
      this.code[i] = this.uint();
      this.line[i] = this.uint();
      this.payload[i] = items > HEADER ? this.p : -1;
      for (let k = HEADER; k < items; k++) this.skip();
    }
    this.length = n;
    return this;
  }

  /**
   * The value paired with `name` in event i's first payload item, when that item is a
   * [name, value, ...] list (a line's changes, a call's arguments); undefined if absent.
   */
  pairValue(i: number, name: number): unknown {
    if (this.payload[i] < 0) return undefined;
    this.p = this.payload[i];
    if (!this.isArray()) return undefined;
    const n = this.arrayLength();
    for (let k = 0; k + 1 < n; k += 2) {
      if (this.uint() === name) return this.value();
      this.skip();
    }
    return undefined;
  }

  /** Event i's payload item k (0 first) as a non-negative integer; -1 if absent or not one. */
  payloadInt(i: number, k: number): number {
    if (this.payload[i] < 0) return -1;
    this.p = this.payload[i];
    for (let j = 0; j < k; j++) this.skip();
    return this.p < this.buf.length ? this.uint() : -1;
  }

  /** The value at p: small integers (most changes) read in place, the rest through msgpackr. */
  private value(): unknown {
    const b = this.buf, c = b[this.p];
    if (c < 0x80) return c;
    if (c >= 0xe0) return c - 0x100;
    switch (c) {
      case 0xcc: case 0xcd: case 0xce: return this.uint();
      case 0xd0: this.p += 2; return b.readInt8(this.p - 1);
      case 0xd1: this.p += 3; return b.readInt16BE(this.p - 2);
      case 0xd2: this.p += 5; return b.readInt32BE(this.p - 4);
    }
    const start = this.p;
    this.skip();
    return packr.unpack(b.subarray(start, this.p));
  }

  private isArray(): boolean {
    const c = this.buf[this.p];
    return (c >= 0x90 && c <= 0x9f) || c === 0xdc || c === 0xdd;
  }

  private arrayLength(): number {
    const b = this.buf, c = b[this.p++];
    if (c >= 0x90 && c <= 0x9f) return c & 15;
    if (c === 0xdc) { this.p += 2; return b.readUInt16BE(this.p - 2); }
    if (c === 0xdd) { this.p += 4; return b.readUInt32BE(this.p - 4); }
    throw new Error(`not a stored block (0x${c.toString(16)} where an array starts)`);
  }

  private uint(): number {
    const b = this.buf, c = b[this.p++];
    if (c < 0x80) return c;
    switch (c) {
      case 0xcc: return b[this.p++];
      case 0xcd: this.p += 2; return b.readUInt16BE(this.p - 2);
      case 0xce: this.p += 4; return b.readUInt32BE(this.p - 4);
    }
    this.p--;
    this.skip();
    return -1; // not an event header field (nor a name): never equal to one
  }

  /** Moves past one msgpack value. */
  private skip(): void {
    this.p = skip(this.buf, this.p);
  }

  private skipItems(n: number): void {
    this.p = skipItems(this.buf, this.p, n);
  }
}
