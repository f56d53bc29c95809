// The raw stream file's fixed header (agent/PROTOCOL.md, Framing): apart from the stream
// decoder so that what only looks at the header (is it recording? was it cut?) loads nothing else.

export const MAGIC = Buffer.from('REWINDRAW\x00\x00\x01', 'latin1');
export const RAW_HEADER = 4096;
export const FLAG_CLOSED = 1;
export const FLAG_WARNED = 2;

export class WireError extends Error {
  code = 'REWIND_WIRE';
}

/** The fixed header of a raw stream file. */
export interface RawHeader { committed: number; closed: boolean; warned: boolean }

export function readRawHeader(head: Buffer): RawHeader {
  if (head.length < 24 || !head.subarray(0, 12).equals(MAGIC)) {
    throw new WireError('not a Rewind raw stream (bad magic)');
  }
  const flags = head.readUInt32LE(12);
  return { committed: Number(head.readBigUInt64LE(16)), closed: (flags & FLAG_CLOSED) !== 0, warned: (flags & FLAG_WARNED) !== 0 };
}
