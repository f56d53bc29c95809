// Reading msgpack in place: a position in a buffer that moves past arrays, unsigned integers
// and whole values without building them. The stored blocks (BlockView) and the agent's stream
// (rawvalues.ts) are both read this way where building every value would cost more than
// the work done with it.

/** The buffer ended inside a value: more bytes are needed (a stream read in chunks). */
export class Incomplete extends Error {}

export class Cursor {
  buf: Buffer = Buffer.alloc(0);
  p = 0;

  /** What is read is not msgpack of the expected shape. */
  protected bad(what: string): never {
    throw new Error(what);
  }

  protected byte(): number {
    const c = this.buf[this.p++];
    if (c === undefined) throw new Incomplete();
    return c;
  }

  isArray(): boolean {
    const c = this.buf[this.p];
    return (c >= 0x90 && c <= 0x9f) || c === 0xdc || c === 0xdd;
  }

  arrayLength(): number {
    const c = this.byte();
    if (c >= 0x90 && c <= 0x9f) return c & 15;
    if (c === 0xdc) { this.p += 2; return this.u16(this.p - 2); }
    if (c === 0xdd) { this.p += 4; return this.u32(this.p - 4); }
    return this.bad(`0x${c.toString(16)} where an array starts`);
  }

  /** An unsigned integer; -1 (after moving past it) for any other value. */
  uint(): number {
    const c = this.byte();
    if (c < 0x80) return c;
    switch (c) {
      case 0xcc: return this.byte();
      case 0xcd: this.p += 2; return this.u16(this.p - 2);
      case 0xce: this.p += 4; return this.u32(this.p - 4);
    }
    this.p--;
    this.skip();
    return -1;
  }

  private u16(at: number): number {
    if (at + 2 > this.buf.length) throw new Incomplete();
    return this.buf.readUInt16BE(at);
  }

  private u32(at: number): number {
    if (at + 4 > this.buf.length) throw new Incomplete();
    return this.buf.readUInt32BE(at);
  }

  /** Moves past one msgpack value. */
  skip(): void {
    const c = this.byte();
    if (c < 0x80 || c >= 0xe0) return; // fixint
    if (c <= 0x8f) return this.skipItems((c & 15) * 2);
    if (c <= 0x9f) return this.skipItems(c & 15);
    if (c <= 0xbf) { this.p += c & 31; return this.end(); }
    switch (c) {
      case 0xc0: case 0xc2: case 0xc3: return;
      case 0xcc: case 0xd0: this.p += 1; return this.end();
      case 0xcd: case 0xd1: this.p += 2; return this.end();
      case 0xca: case 0xce: case 0xd2: this.p += 4; return this.end();
      case 0xcb: case 0xcf: case 0xd3: this.p += 8; return this.end();
      case 0xd4: this.p += 2; return this.end();
      case 0xd5: this.p += 3; return this.end();
      case 0xd6: this.p += 5; return this.end();
      case 0xd7: this.p += 9; return this.end();
      case 0xd8: this.p += 17; return this.end();
      case 0xc4: case 0xd9: { const n = this.byte(); this.p += n; return this.end(); }
      case 0xc5: case 0xda: this.p += 2 + this.u16(this.p); return this.end();
      case 0xc6: case 0xdb: this.p += 4 + this.u32(this.p); return this.end();
      case 0xc7: { const n = this.byte(); this.p += 1 + n; return this.end(); }
      case 0xc8: this.p += 3 + this.u16(this.p); return this.end();
      case 0xc9: this.p += 5 + this.u32(this.p); return this.end();
      case 0xdc: this.p += 2; return this.skipItems(this.u16(this.p - 2));
      case 0xdd: this.p += 4; return this.skipItems(this.u32(this.p - 4));
      case 0xde: this.p += 2; return this.skipItems(2 * this.u16(this.p - 2));
      case 0xdf: this.p += 4; return this.skipItems(2 * this.u32(this.p - 4));
    }
    this.p--;
    return this.bad(`0x${c.toString(16)} is not msgpack`);
  }

  /** Past the end of the buffer: the value was cut. */
  private end(): void {
    if (this.p > this.buf.length) throw new Incomplete();
  }

  skipItems(n: number): void {
    for (let i = 0; i < n; i++) this.skip();
  }
}
