// Reads a raw stream file while the agent is still writing it (or after it stopped).
// Only committed bytes are read, so every chunk ends on an event boundary.
import { closeSync, openSync, writeSync } from 'node:fs';
import { WireError, readHeaderAt, readStream, type RawHeader } from '../wire/rawfile.js';

const MAX_CHUNK = 256 << 10; // read but not yet stored: a flight recording's peak disk use grows with it
const CONSUMED_AT = 24; // header offset of the consumed length (PROTOCOL.md, Framing)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type TailState = RawHeader;
const noHeader = (): TailState => ({ committed: 0, closed: false, warned: false, placed: 0, stage: 0 });

/**
 * Feeds a stream the agent has finished with (or that was cut short) to `ingest`, whole;
 * `progress` gets the bytes fed so far. Returns its header as last read.
 */
export async function ingestStream(path: string, ingest: { feed(chunk: Buffer): Promise<void> }, progress?: (bytes: number) => void): Promise<TailState> {
  const state = noHeader();
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
export async function* tailRaw(path: string, finished: () => boolean, state: TailState = noHeader(), release = false): AsyncGenerator<Buffer> {
  let fd: number | null = null;
  while (fd === null) {
    try {
      fd = openSync(path, release ? 'r+' : 'r');
    } catch {
      if (finished()) return;
      await sleep(5);
    }
  }
  try {
    const consumedBytes = Buffer.alloc(8);
    let consumed = 0;
    let idle = 1;
    for (;;) {
      const done = finished();
      const h = readHeaderAt(fd);
      if (!h) {
        if (done) throw new WireError('not a Rewind raw stream (too short)');
        await sleep(5);
        continue;
      }
      Object.assign(state, h);
      if (h.committed > consumed) {
        const chunk = readStream(fd, h, consumed, MAX_CHUNK);
        if (!chunk.length) {
          // The file ends before the length its header gives: damaged, or cut as it is written.
          if (done) throw new WireError('the raw stream is shorter than its header says');
          await sleep(5);
          continue;
        }
        consumed += chunk.length;
        idle = 1;
        if (release) {
          consumedBytes.writeBigUInt64LE(BigInt(consumed));
          writeSync(fd, consumedBytes, 0, 8, CONSUMED_AT);
        }
        yield chunk;
        continue;
      }
      if (done) return;
      await sleep(idle);
      idle = Math.min(idle * 2, 20);
    }
  } finally {
    closeSync(fd);
  }
}
