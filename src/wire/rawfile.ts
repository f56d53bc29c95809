// The raw stream file (agent/PROTOCOL.md, Framing): its header, and where its bytes are. Apart
// from the stream decoder so that what only looks at the header (is it recording? was it cut?)
// loads nothing else.
import { readSync } from 'node:fs';

export const MAGIC = Buffer.from('REWINDRAW\x00\x00\x02', 'latin1');
/** Framing 1 (Rewind before the stage): every byte written at its place, read as a stream all placed. */
const MAGIC_1 = Buffer.from('REWINDRAW\x00\x00\x01', 'latin1');
export const RAW_HEADER = 4096;
const HEAD_BYTES = 44;
const PLACED_AT = 32;
export const FLAG_CLOSED = 1;
export const FLAG_WARNED = 2;

export class WireError extends Error {
  code = 'REWIND_WIRE';
}

/** The fixed header of a raw stream file. */
export interface RawHeader {
  committed: number; closed: boolean; warned: boolean;
  /** Stream bytes at their place, after the stage; the rest (to `committed`) are in the stage. */
  placed: number;
  stage: number; // its size
}

export function readRawHeader(head: Buffer): RawHeader {
  const v1 = head.length >= 24 && head.subarray(0, 12).equals(MAGIC_1);
  if (!v1 && (head.length < HEAD_BYTES || !head.subarray(0, 12).equals(MAGIC))) {
    throw new WireError('not a Rewind raw stream (bad magic)');
  }
  const flags = head.readUInt32LE(12);
  const committed = Number(head.readBigUInt64LE(16));
  return {
    committed, closed: (flags & FLAG_CLOSED) !== 0, warned: (flags & FLAG_WARNED) !== 0,
    placed: v1 ? committed : Number(head.readBigUInt64LE(PLACED_AT)), stage: v1 ? 0 : head.readUInt32LE(40),
  };
}

/** The header of the raw stream open at `fd`; null while the agent has not written it yet. */
export function readHeaderAt(fd: number): RawHeader | null {
  const head = Buffer.alloc(HEAD_BYTES);
  const n = readSync(fd, head, 0, HEAD_BYTES, 0);
  // The agent sizes the file, then writes its magic: zeros are a header not written yet.
  if (n < 24 || head.subarray(0, 12).every((b) => b === 0)) return null;
  return readRawHeader(head.subarray(0, n));
}

/**
 * Up to `max` committed stream bytes from stream offset `from` (as many as lie together in the
 * file), read while the agent may be writing: bytes read from the stage count only if the stage
 * was not placed and begun again meanwhile (then they are read again from their place).
 */
export function readStream(fd: number, h: RawHeader, from: number, max: number): Buffer {
  for (;;) {
    const staged = from >= h.placed;
    const end = staged ? h.committed : Math.min(h.placed, h.committed);
    const n = Math.max(0, Math.min(max, end - from));
    const at = staged ? RAW_HEADER + from - h.placed : RAW_HEADER + h.stage + from;
    const buf = Buffer.allocUnsafe(n);
    const got = n ? readSync(fd, buf, 0, n, at) : 0;
    const again = staged && n ? readHeaderAt(fd) : null;
    if (!again || again.placed === h.placed) return got === n ? buf : buf.subarray(0, got);
    h = again;
  }
}
