// One-file recordings (.rwd): a gzip-compressed POSIX tar (ustar) whose first entry is
// manifest.json, then the recording's LevelDB files under recording/. Written and read here,
// with no tar library: the reader accepts only what the writer makes — regular files and
// folders with short relative names — so a crafted archive cannot write outside its target
// (no absolute paths, no `..`, no links) or expand without bound.
import { closeSync, createReadStream, createWriteStream, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createGzip, createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { UserError } from '../errors.js';
import { formatBytes } from '../units.js';

export const MANIFEST = 'manifest.json';
export const DATA = 'recording/';
const BLOCK = 512;

export interface ArchiveEntry { name: string; path?: string; data?: Buffer }
export interface Limits { maxBytes: number; maxEntries: number }
export const DEFAULT_LIMITS: Limits = { maxBytes: 64 * 2 ** 30, maxEntries: 100_000 };

function header(name: string, size: number, dir = false): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(dir ? '0000755\0' : '0000644\0', 100, 'ascii');
  h.write('0000000\0', 108, 'ascii');
  h.write('0000000\0', 116, 'ascii');
  h.write(size.toString(8).padStart(11, '0') + '\0', 124, 'ascii');
  h.write(Math.floor(Date.now() / 1000).toString(8).padStart(11, '0') + '\0', 136, 'ascii');
  h.write(dir ? '5' : '0', 156, 'ascii');
  h.write('ustar\0' + '00', 257, 'ascii');
  h.write('        ', 148, 'ascii'); // the checksum counts its own field as spaces
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

/**
 * Writes `entries` (in order) as a gzip-compressed tar at `out`. `progress` is told the bytes
 * written so far and the total.
 */
export async function writeArchive(entries: ArchiveEntry[], out: string, progress: (done: number, total: number) => void = () => {}): Promise<void> {
  const sizes = entries.map((e) => e.data?.length ?? statSync(e.path!).size);
  const total = sizes.reduce((a, b) => a + b, 0);
  let done = 0;
  async function* blocks() {
    for (const [i, e] of entries.entries()) {
      yield header(e.name, sizes[i]);
      if (e.data) yield e.data;
      else {
        let n = 0;
        for await (const chunk of createReadStream(e.path!, { highWaterMark: 1 << 20 })) {
          n += chunk.length;
          done += chunk.length;
          progress(done, total);
          yield chunk as Buffer;
        }
        if (n !== sizes[i]) throw new Error(`${e.path} changed while it was packed`);
      }
      if (sizes[i] % BLOCK) yield Buffer.alloc(BLOCK - (sizes[i] % BLOCK));
    }
    yield Buffer.alloc(2 * BLOCK);
  }
  await pipeline(Readable.from(blocks()), createGzip({ level: 6 }), createWriteStream(out, { flags: 'wx' }));
}

/** Why a name in an archive is refused, or null if it is a plain relative path. */
function unsafeName(name: string): string | null {
  if (!name) return 'an empty name';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return `an absolute path (${name})`;
  if (name.includes('\\')) return `a backslash in a name (${name})`;
  if (name.split('/').some((p) => p === '..')) return `a '..' entry (${name})`;
  if (name !== MANIFEST && !name.startsWith(DATA)) return `an entry outside ${DATA} (${name})`;
  return null;
}

const TYPES: Record<string, string> = { '1': 'a hard link', '2': 'a symbolic link', '3': 'a device', '4': 'a device', '6': 'a FIFO', x: 'an extended header', g: 'an extended header', L: 'a long name', K: 'a long link' };

/**
 * Unpacks the archive `file` into `dir` (which must exist and be empty), checking every entry
 * before writing it; with `dir` null, reads only the manifest. Returns the manifest's text.
 * Throws UserError naming what was refused.
 */
export async function readArchive(file: string, dir: string | null, limits: Limits = DEFAULT_LIMITS, progress: (bytes: number) => void = () => {}): Promise<string> {
  const what = `${file}`;
  if (!isGzip(file)) throw new UserError(`${what} is not a Rewind recording (neither a recording folder nor a .rwd file).`, 'REWIND_NOT_RECORDING');
  const refuse = (why: string) => new UserError(`${what} is refused: it holds ${why}.`, 'REWIND_UNSAFE_ARCHIVE');
  let buf: Buffer = Buffer.alloc(0);
  let manifest: string | null = null;
  let expanded = 0, entries = 0, ended = false;
  type Open = { name: string; left: number; pad: number; fd: number | null; data: Buffer[] | null };
  let current = null as Open | null;

  const consume = () => {
    for (;;) {
      if (ended) return;
      if (current) {
        const take = Math.min(current.left, buf.length);
        if (take) {
          const part = buf.subarray(0, take);
          if (current.fd !== null) writeSync(current.fd, part);
          else current.data!.push(Buffer.from(part));
          current.left -= take;
          buf = buf.subarray(take);
        }
        if (current.left) return;
        if (buf.length < current.pad) return;
        buf = buf.subarray(current.pad);
        if (current.fd !== null) closeSync(current.fd);
        if (current.data) manifest = Buffer.concat(current.data).toString('utf8');
        current = null;
        if (dir === null && manifest !== null) { ended = true; return; }
      }
      if (buf.length < BLOCK) return;
      const h = buf.subarray(0, BLOCK);
      buf = buf.subarray(BLOCK);
      if (h.every((b) => b === 0)) { ended = true; return; }
      if (h.subarray(257, 262).toString('latin1') !== 'ustar') throw new UserError(`${what} is not a Rewind recording (not a tar archive inside).`, 'REWIND_NOT_RECORDING');
      let sum = 0;
      for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
      if (parseInt(h.subarray(148, 156).toString('latin1').replace(/\0.*$/s, '').trim(), 8) !== sum) throw new UserError(`${what} is corrupt (a damaged archive header).`, 'REWIND_CORRUPT');
      const prefix = h.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
      const name = (prefix ? prefix + '/' : '') + h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
      const type = String.fromCharCode(h[156] || 48);
      const size = parseInt(h.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
      if (TYPES[type]) throw refuse(`${TYPES[type]} (${name})`);
      if (type !== '0' && type !== '5') throw refuse(`an entry of unknown type '${type}' (${name})`);
      const bad = unsafeName(name.replace(/\/$/, ''));
      if (bad) throw refuse(bad);
      if (++entries > limits.maxEntries) throw refuse(`more than ${limits.maxEntries} entries`);
      if (!Number.isSafeInteger(size) || size < 0) throw new UserError(`${what} is corrupt (a damaged archive header).`, 'REWIND_CORRUPT');
      expanded += size;
      if (expanded > limits.maxBytes) throw refuse(`more than ${formatBytes(limits.maxBytes)} once unpacked`);
      if (entries === 1 && name !== MANIFEST) throw new UserError(`${what} is not a Rewind recording (no manifest first).`, 'REWIND_NOT_RECORDING');
      const pad = (BLOCK - (size % BLOCK)) % BLOCK;
      const target = join(dir ?? '', name);
      if (type === '5') { mkdirSync(target, { recursive: true }); continue; }
      if (name === MANIFEST) current = { name, left: size, pad, fd: null, data: [] };
      else {
        mkdirSync(dirname(target), { recursive: true });
        current = { name, left: size, pad, fd: openSync(target, 'wx'), data: null };
      }
    }
  };

  let refused: unknown = null; // our own error: the pipeline may report it as an abort
  try {
    await pipeline(createReadStream(file), createGunzip(), async function (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        if (ended) continue; // what follows the end-of-archive blocks is padding
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        progress(expanded);
        try {
          consume();
        } catch (e) {
          refused = e;
          throw e;
        }
      }
    });
  } catch (thrown) {
    if (current?.fd != null) closeSync(current.fd);
    if ((refused ?? thrown) instanceof UserError) throw refused ?? thrown;
    const err = thrown as NodeJS.ErrnoException;
    if (err.code === 'Z_DATA_ERROR' || err.code === 'Z_BUF_ERROR' || /incorrect header check|unexpected end/i.test(err.message)) {
      throw new UserError(`${what} is corrupt or truncated (${err.message.replace(/\.$/, '')}).`, 'REWIND_CORRUPT');
    }
    throw thrown;
  }
  if (dir === null && manifest !== null) return manifest;
  if (!ended || current) throw new UserError(`${what} is truncated (the archive ends in the middle).`, 'REWIND_CORRUPT');
  if (manifest === null) throw new UserError(`${what} is not a Rewind recording (no manifest).`, 'REWIND_NOT_RECORDING');
  return manifest;
}

/** Whether `file` starts as a gzip stream does (a .rwd, or something else compressed). */
export function isGzip(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}
