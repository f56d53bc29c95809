// A recording kept raw: the agent's stream as it wrote it, indexed into LevelDB the first time
// the recording is opened (DESIGN.md, promise 7: recording costs what the agent costs; the index
// is derived data). `rewind record` leaves such a folder; Recording.open indexes it in place.
//
// The folder, while raw (RAW_FILE is what makes it so):
//   events.raw       the agent's stream (agent/PROTOCOL.md, Framing)
//   recorded.json    how the program ended, as `rewind record` saw it (absent if the recorder died)
//   recording.pid    the recorder's pid and the program's, while the program runs
//   index.lock       the pid of the process indexing it
// Indexing writes LevelDB's files beside them and removes them once the metadata is written.
import { closeSync, existsSync, openSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { RAW_FILE } from '../store/layout.js';
import { UserError } from '../errors.js';
import { readHeaderAt, readStream, type RawHeader } from '../wire/rawfile.js';
// The indexer (store, ingest, the stream decoder) is loaded when something is indexed: `rewind
// record` uses this module to begin and end a raw recording, and starts faster without it.

const ENDING_FILE = 'recorded.json';
const RECORDING_PID = 'recording.pid';
const LOCK = 'index.lock';
const OURS = new Set([RAW_FILE, ENDING_FILE, RECORDING_PID, LOCK]);

/** How the program ended, as the recorder saw it. */
export interface RawEnding {
  exitStatus: number | null; signal: string | null; gitCommit: string | null; end: number;
  /** record --redact-value: applied once the stream is indexed. */
  redactValues?: string[];
}

export const rawPath = (dir: string) => join(dir, RAW_FILE);

/** The recording folder a program is being recorded into: marked while it runs (`program`: its pid, once known). */
export function beginRaw(dir: string, program?: number) {
  writeFileSync(join(dir, RECORDING_PID), program ? `${process.pid} ${program}` : String(process.pid));
}

/** The program is over: what the recorder saw of its end, for whoever indexes the stream. */
export function endRaw(dir: string, ending: RawEnding) {
  writeFileSync(join(dir, ENDING_FILE), JSON.stringify(ending));
  rmSync(join(dir, RECORDING_PID), { force: true });
}

/** Is process `pid` running (ours or another user's)? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function pidsIn(file: string): number[] {
  try {
    return readFileSync(file, 'utf8').trim().split(/\s+/).map(Number).filter((p) => Number.isInteger(p) && p > 0);
  } catch {
    return [];
  }
}

const pidIn = (file: string): number | null => pidsIn(file)[0] ?? null;

/**
 * The pid of the recorder or the program still recording into `dir`, or null. (The program
 * records on if its recorder is killed: its stream is not whole until it ends.)
 */
export function recorderOf(dir: string): number | null {
  return pidsIn(join(dir, RECORDING_PID)).find(alive) ?? null;
}

/** The raw stream's header (committed bytes, closed, warned), or null if it cannot be read yet. */
export function rawHeader(dir: string): RawHeader | null {
  try {
    const fd = openSync(rawPath(dir), 'r');
    try {
      return readHeaderAt(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

/** The HELLO event's fields (argv, accelerator...), read from the stream's first bytes. */
export async function rawHello(dir: string): Promise<Record<string, unknown>> {
  const { visitEvents, K } = await import('../wire/protocol.js');
  try {
    const fd = openSync(rawPath(dir), 'r');
    try {
      const h = readHeaderAt(fd);
      // It comes first: the events after it are not decoded (a summary line waited on them).
      let hello: unknown[] | undefined;
      const found = new Error('found');
      try {
        visitEvents(h ? readStream(fd, h, 0, 64 << 10) : Buffer.alloc(0), (e) => {
          if (Array.isArray(e) && e[0] === K.HELLO) { hello = e; throw found; }
        });
      } catch (e) {
        if (e !== found) throw e;
      }
      return (hello?.[2] ?? {}) as Record<string, unknown>;
    } finally {
      closeSync(fd);
    }
  } catch {
    return {};
  }
}

/**
 * Indexes the raw recording `dir` in place: LevelDB is built beside the stream, which is
 * removed once the metadata is written. One process at a time (index.lock); another one waits
 * for it. Interrupted (Ctrl-C, a crash), it leaves the stream as it was: the next open starts over.
 */
export async function indexRaw(dir: string, progress?: (done: number, total: number) => void): Promise<void> {
  const recorder = recorderOf(dir);
  if (recorder !== null) throw new UserError(`${dir} is still being recorded (pid ${recorder}); open it once the program has finished.`, 'REWIND_LOCKED');
  if (!(await lock(dir))) return; // another process indexed it meanwhile
  // What an indexer that stopped halfway left, or this one on an error: LevelDB's files, never the stream.
  const clear = () => { for (const f of readdirSync(dir)) if (!OURS.has(f)) rmSync(join(dir, f), { recursive: true, force: true }); };
  try {
    if (!existsSync(rawPath(dir))) return; // indexed by the process that held the lock before
    clear();
    await build(dir, progress);
    // Indexed: the stream goes, then the lock (whoever takes it next finds no stream).
    for (const f of [RAW_FILE, ENDING_FILE, RECORDING_PID]) rmSync(join(dir, f), { force: true });
  } catch (e) {
    clear();
    if (e instanceof UserError) throw e;
    throw new UserError(`${dir} holds an event stream that cannot be indexed (${(e as Error).message.split('\n')[0]}).`, 'REWIND_BAD_RAW');
  } finally {
    rmSync(join(dir, LOCK), { force: true });
  }
}

/**
 * Indexes what the program still recording into `dir` has written so far into the new folder
 * `into`, leaving the stream as it is: a look at a recording in progress (it says incomplete).
 */
export async function indexSoFar(dir: string, into: string): Promise<void> {
  let head: RawHeader | null = null;
  try { head = rawHeader(dir); } catch { /* its header is not written yet */ }
  if (!head?.committed) throw new UserError(`${dir} is being recorded and nothing has arrived yet; try again in a moment.`, 'REWIND_LOCKED');
  try {
    await build(dir, undefined, into, true);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${dir} is being recorded and what has arrived so far cannot be indexed (${(e as Error).message.split('\n')[0]}).`, 'REWIND_BAD_RAW');
  }
}

/** The index of the stream in `dir`, built beside it (or in `into`). */
async function build(dir: string, progress?: (done: number, total: number) => void, into = dir, inProgress = false) {
  const [{ RecordingWriter, BATCH_BYTES }, { Ingest }, { ingestStream }] = await Promise.all([import('../store/store.js'), import('./ingest.js'), import('./tail.js')]);
  const seen = readEnding(dir);
  const total = rawHeader(dir)?.committed ?? 0;
  const writer = await RecordingWriter.create(into);
  writer.minBatchBytes = BATCH_BYTES; // the stream stays on disk until the end
  const ingest = new Ingest(writer);
  try {
    const state = await ingestStream(rawPath(dir), ingest, progress && ((done) => progress(done, total)));
    // Only SIGKILL (or a recorder that died with the program) stops the agent mid-event.
    const truncated = !inProgress && ingest.end === null && (seen === null ? !state.closed : seen.signal === 'SIGKILL');
    const ending = { exitStatus: seen?.exitStatus ?? null, signal: seen?.signal ?? null, truncated, end: seen?.end ?? null, inProgress };
    await ingest.finish(ending, { gitCommit: seen?.gitCommit ?? null });
  } finally {
    await writer.close();
  }
  // record --redact-value: the index holds no match of those patterns (the stream goes after this).
  if (seen?.redactValues?.length && !inProgress) {
    const [{ redactRecording }, { Recording }] = await Promise.all([import('../store/redact.js'), import('../store/store.js')]);
    await redactRecording(into, null, { names: [], values: seen.redactValues }, (p) => Recording.openIndex(p));
  }
}

export function readEnding(dir: string): RawEnding | null {
  try {
    return JSON.parse(readFileSync(join(dir, ENDING_FILE), 'utf8')) as RawEnding;
  } catch {
    return null; // the recorder died before the program ended
  }
}

/**
 * Takes index.lock. False if, while waiting for another process that held it, the recording
 * got indexed. A lock whose process is gone is taken over.
 */
async function lock(dir: string): Promise<boolean> {
  const file = join(dir, LOCK);
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = pidIn(file);
    // Empty: its holder is writing its pid, or died doing so (then it is old).
    const stale = holder === null ? Date.now() - (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 5000 : !alive(holder);
    if (stale) {
      try { unlinkSync(file); } catch { /* taken by someone else meanwhile */ }
      continue;
    }
    await new Promise((r) => setTimeout(r, 100));
    if (!existsSync(rawPath(dir))) return false;
  }
}
