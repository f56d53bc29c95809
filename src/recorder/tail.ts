// Reads a raw stream file while the agent is still writing it (or after it stopped).
// Only committed bytes are read, so every chunk ends on an event boundary.
import { open, type FileHandle } from 'node:fs/promises';
import { RAW_HEADER, WireError, readRawHeader, type RawHeader } from '../wire/rawfile.js';

const MAX_CHUNK = 256 << 10; // read but not yet stored: a flight recording's peak disk use grows with it
const CONSUMED_AT = 24; // header offset of the consumed length (PROTOCOL.md, Framing)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type TailState = RawHeader;

/**
 * Feeds a stream the agent has finished with (or that was cut short) to `ingest`, whole;
 * `progress` gets the bytes fed so far. Returns its header as last read.
 */
export async function ingestStream(path: string, ingest: { feed(chunk: Buffer): Promise<void> }, progress?: (bytes: number) => void): Promise<TailState> {
  const state: TailState = { committed: 0, closed: false, warned: false };
  let bytes = 0;
  for await (const chunk of tailRaw(path, () => true, state)) {
    await ingest.feed(chunk);
    bytes += chunk.length;
    progress?.(bytes);
  }
  return state;
}

/**
 * Yields chunks of the stream as they are committed. `finished()` says the writer is gone;
 * after it turns true one more pass reads what is left, then the generator ends. With
 * `release` (the recorder's own stream) it tells the agent what it has read, so the agent can
 * free that part of the file; a stream someone hands us (import) is only read.
 */
export async function* tailRaw(path: string, finished: () => boolean, state: TailState = { committed: 0, closed: false, warned: false }, release = false): AsyncGenerator<Buffer> {
  let fh: FileHandle | null = null;
  while (!fh) {
    try {
      fh = await open(path, release ? 'r+' : 'r');
    } catch {
      if (finished()) return;
      await sleep(5);
    }
  }
  try {
    const head = Buffer.alloc(24);
    const consumedBytes = Buffer.alloc(8);
    let consumed = 0;
    let idle = 1;
    for (;;) {
      const done = finished();
      const { bytesRead } = await fh.read(head, 0, 24, 0);
      if (bytesRead < 24) {
        if (done) throw new WireError('not a Rewind raw stream (too short)');
        await sleep(5);
        continue;
      }
      // The agent sizes the file, then writes its magic: zeros are a header not written yet.
      if (!done && head.subarray(0, 12).every((b) => b === 0)) {
        await sleep(5);
        continue;
      }
      const h = readRawHeader(head);
      Object.assign(state, h);
      if (h.committed > consumed) {
        const n = Math.min(MAX_CHUNK, h.committed - consumed);
        const buf = Buffer.allocUnsafe(n);
        const { bytesRead: got } = await fh.read(buf, 0, n, RAW_HEADER + consumed);
        consumed += got;
        idle = 1;
        if (release) {
          consumedBytes.writeBigUInt64LE(BigInt(consumed));
          await fh.write(consumedBytes, 0, 8, CONSUMED_AT);
        }
        yield got === n ? buf : buf.subarray(0, got);
        continue;
      }
      if (done) return;
      await sleep(idle);
      idle = Math.min(idle * 2, 20);
    }
  } finally {
    await fh.close();
  }
}
