// Opening, writing and reading recordings. Frontends and the recorder use these classes and
// never see a key (layout.ts owns those).
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unpackRecording } from './rwd.js';
import { viewOf } from './view.js';
import type { Level } from 'level';
import { Packr } from 'msgpackr';
import '../wire/protocol.js'; // registers the float extension with msgpackr
import type { WireValue } from '../wire/protocol.js';
import { BLOCK, FORMAT_VERSION, GROUPED_INDEX, INDEX_GROUP, OLDEST_READABLE, RAW_FILE, SNAPSHOT_EVERY, key, keyInts, range } from './layout.js';
import { UserError } from '../errors.js';
import { FRAME_GROUP, FrameGroups, groupOf, type Ready } from './framegroups.js';
import { BlockWriter } from './blockwriter.js';
import { shareValues, unshareValues } from './sharedvalues.js';

export { BLOCK, SNAPSHOT_EVERY, FORMAT_VERSION };

/** Sequenced event kinds (the same numbers as the wire's). */
export const EK = { CALL: 7, LINE: 8, RETURN: 9, UNWIND: 10, YIELD: 11, RESUME: 12, EXCEPTION: 13, OUTPUT: 14, GLOBALS: 17 } as const;
export const KIND_NAMES: Record<number, string> = {
  7: 'call', 8: 'line', 9: 'return', 10: 'unwind', 11: 'yield', 12: 'resume', 13: 'exception', 14: 'output', 17: 'globals',
};

/**
 * One event as stored: [kind, thread, frame, depth, code, line, ...payload]
 *   line:      changes? = [name, value, name, value, ...]
 *   call:      args = [name, value, ...]
 *   return / yield / unwind: value (null for unwind), then true if to code that is not recorded
 *   exception: typeName, message (string|null), propagated (bool)
 *   output:    stream (1 stdout, 2 stderr), text
 *   globals:   changes = [name, value, ...] of the module globals `module` (a name), made by the frame's last line
 */
export type StoredEvent = [number, number, number, number, number, number, ...unknown[]];

export interface FrameRecord {
  frame: number; code: number; thread: number; parent: number; depth: number;
  /**
   * 'lost': it ended while the program had taken the tracer away (a gap; see Meta.warnings);
   * 'dropped': a suspended generator's or coroutine's, freed without running again (end: the
   * last event before the agent saw it go).
   */
  start: number; end: number | null; endKind: 'return' | 'unwind' | 'lost' | 'dropped' | null;
  /** Formats 2 to 4: a generator's or coroutine's runs (see Recording.runAt; 'G' records since). */
  spans?: [number, number | null][];
  /** Format 7: it yielded, so it has runs ('G' records); a frame that did not has no record to look for. */
  yielded?: true;
}
export interface ExceptionRecord {
  seq: number; thread: number; frame: number; type: string; message: string | null;
  propagated: boolean; caught: boolean | null;
}
export interface OutputRecord { seq: number; stream: 1 | 2; text: string }
/** `module`: the name (id) of the module whose globals the code runs with, when it is a module's. */
export interface CodeRecord { file: number; name: string; qualname: string; firstLine: number; module?: number }

/** A module body's frame shows its module's globals as its locals: the two are one map. */
export const sharesGlobals = (c: CodeRecord | undefined): boolean => c !== undefined && c.module !== undefined && c.name === '<module>';

/** Module globals by module name id, each as [name, value, ...]. */
export type GlobalsList = [number, unknown[]][];
export interface ThreadRecord { thread: number; name: string; first: number; last: number; ended: boolean }
export interface FileRecord { path: string; source: string | null }

/** A live frame in a snapshot: its locals as [name, value, ...] (empty for a module body's: see `globals`). */
export interface SnapshotFrame { frame: number; code: number; depth: number; line: number; locals: unknown[] }
/**
 * State at the start of a block: per thread its stack (outermost first), plus suspended frames,
 * plus the globals of the modules seen so far (absent before format 4).
 */
export interface Snapshot {
  seq: number;
  threads: { thread: number; stack: SnapshotFrame[] }[];
  suspended: SnapshotFrame[];
  globals?: GlobalsList;
  /** Format 8: values its frames hold more than once, written once (sharedvalues.ts; resolved as it is read). */
  values?: unknown[];
}

/**
 * A snapshot as stored when most frames are as in an earlier one (a deep stack that stays): what
 * differs from the snapshot at block `base` (itself full or a delta). Each thread's stack is the
 * base's first `keep` frames, then `push`; a number stands for that frame as it is in the base.
 * Readers get full snapshots: the store resolves these.
 */
export interface SnapshotDelta {
  seq: number;
  base: number;
  threads: { thread: number; keep: number; push: (SnapshotFrame | number)[] }[];
  suspended: (SnapshotFrame | number)[];
  /** The modules whose globals changed since the base; the others are as there. */
  globals?: GlobalsList;
  values?: unknown[]; // as in Snapshot
}

// A frame record is stored as an array, not an object: one is written per call, and field names
// would be most of its bytes. Recordings of format 2 stored objects, which are read as they are.
const END_KINDS = [null, 'return', 'unwind', 'lost', 'dropped'] as const;
/** Added to a frame record's end kind (format 7) for a frame that yielded. */
const YIELDED = 8;
const packKind = (f: FrameRecord) => END_KINDS.indexOf(f.endKind) + (f.yielded ? YIELDED : 0);
/** The end kind and yielded flag of a packed kind. */
function unpackKind(f: FrameRecord, kind: number): FrameRecord {
  f.endKind = END_KINDS[kind & (YIELDED - 1)] ?? null;
  if (kind & YIELDED) f.yielded = true;
  return f;
}

function packFrame(f: FrameRecord): unknown[] {
  const a: unknown[] = [f.frame, f.code, f.thread, f.parent, f.depth, f.start, f.end, packKind(f)];
  if (f.spans) a.push(f.spans);
  return a;
}

/**
 * A block (format 6) as columns: [count, frames, kinds, frame of each, lines, payloads].
 * `frames` lists each (thread, frame, depth, code) the block's events are in, once, flat;
 * `payloads` holds each event's items after the line, or null. As rows of [kind, thread,
 * frame, depth, code, line, ...payload] (formats 2 to 5, still read: their first item is an
 * array) blocks took half as much again on disk: LevelDB's compression finds repeats in columns.
 * The indexer writes its blocks with a BlockWriter as events arrive; this packs events at once.
 */
export function packBlock(events: StoredEvent[]): Buffer {
  for (const e of events) blockWriter.add(e[0], e[1], e[2], e[3], e[4], e[5], e.length > 6 ? e.slice(6) : null);
  return blockWriter.finish();
}

export function unpackBlock(v: unknown): StoredEvent[] {
  const block = v as unknown[];
  if (typeof block[0] !== 'number') return block as StoredEvent[]; // rows: formats 2 to 5
  const [n, frames, kinds, at, lines, payloads] = block as [number, number[], number[], number[], number[], (unknown[] | null)[]];
  const events = new Array<StoredEvent>(n);
  for (let i = 0; i < n; i++) {
    const c = at[i] * 4;
    const p = payloads[i];
    // Most payloads are one item (a line's changes, a return value): an array made whole, not grown.
    const e: StoredEvent = p?.length === 1
      ? [kinds[i], frames[c], frames[c + 1], frames[c + 2], frames[c + 3], lines[i], p[0]]
      : [kinds[i], frames[c], frames[c + 1], frames[c + 2], frames[c + 3], lines[i]];
    if (p && p.length > 1) for (const x of p) e.push(x);
    events[i] = e;
  }
  return events;
}

/**
 * A group of frame records (format 6; framegroups.ts) as columns of small numbers: each
 * frame's code, thread, distance to its parent, depth, start (from the previous frame's),
 * length (null: running at the end) and end kind; a code of null where the group has no frame.
 * Written one array per frame they took four times the disk.
 */
function packFrameGroup(records: (FrameRecord | null)[]): unknown[] {
  const cols: unknown[][] = [[], [], [], [], [], [], []];
  let prev = 0;
  for (const f of records) {
    if (!f) { cols[0].push(null); continue; }
    cols[0].push(f.code); cols[1].push(f.thread); cols[2].push(f.frame - f.parent); cols[3].push(f.depth);
    cols[4].push(f.start - prev); cols[5].push(f.end === null ? null : f.end - f.start); cols[6].push(packKind(f));
    prev = f.start;
  }
  return cols;
}

function unpackFrameGroup(group: number, v: unknown): FrameRecord[] {
  const [codes, threads, parents, depths, starts, lengths, kinds] = v as number[][];
  const out: FrameRecord[] = [];
  let start = 0;
  for (let i = 0, j = 0; i < codes.length; i++) {
    if (codes[i] === null) continue;
    const frame = group * FRAME_GROUP + i;
    start += starts[j];
    const end = lengths[j] === null ? null : start + lengths[j];
    out.push(unpackKind({ frame, code: codes[i], thread: threads[j], parent: frame - parents[j], depth: depths[j], start, end, endKind: null }, kinds[j]));
    j++;
  }
  return out;
}

/**
 * A generator's runs that ended in one snapshot interval (format 7), keyed by the first one's
 * start: each run's start from the previous run's end (0 for the first) and its length (null:
 * running at the end), flat. One record per run (formats 5 and 6, still read) was a fifth of
 * indexing a program that iterates a generator, and a LevelDB write per yield.
 */
function packRuns(runs: (number | null)[]): (number | null)[] {
  const out: (number | null)[] = [];
  for (let i = 0; i < runs.length; i += 2) {
    const start = runs[i]!, end = runs[i + 1];
    out.push(i ? start - runs[i - 1]! : 0, end === null ? null : end - start);
  }
  return out;
}

/** The runs in `v`, stored at `first` (packRuns, or formats 5 and 6's single end), as start, end pairs. */
function unpackRuns(first: number, v: unknown): (number | null)[] {
  if (!Array.isArray(v)) return [first, v as number | null];
  const out: (number | null)[] = [];
  for (let i = 0, at = first; i < v.length; i += 2) {
    const start = at + (v[i] as number), length = v[i + 1] as number | null;
    out.push(start, length === null ? null : start + length);
    if (length !== null) at = start + length;
  }
  return out;
}

/** Of start, end pairs, the run that began last at or before `seq` (the first begins at or before it). */
function runBefore(runs: (number | null)[], seq: number): [number, number | null] {
  let lo = 0, hi = runs.length / 2; // the first run that begins after seq
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (runs[2 * mid]! <= seq) lo = mid + 1; else hi = mid;
  }
  return [runs[2 * lo - 2]!, runs[2 * lo - 1]];
}

function unpackFrame(v: unknown): FrameRecord {
  if (!Array.isArray(v)) return v as FrameRecord;
  const [frame, code, thread, parent, depth, start, end, kind, spans] = v as [number, number, number, number, number, number, number | null, number, FrameRecord['spans']];
  const f = unpackKind({ frame, code, thread, parent, depth, start, end, endKind: null }, kind);
  if (spans) f.spans = spans;
  return f;
}

/** Sets `k` in a cache of at most `max` entries, forgetting the oldest first; returns `v`. */
function keep<K, V>(cache: Map<K, V>, max: number, k: K, v: V): V {
  if (cache.size >= max) cache.delete(cache.keys().next().value!);
  cache.set(k, v);
  return v;
}

/** A snapshot as read back: a delta resolved against its base. */
export function resolveSnapshot(stored: Snapshot | SnapshotDelta, base?: Snapshot): Snapshot {
  if (!('base' in stored)) return stored;
  if (!base) throw new Error(`snapshot at seq ${stored.seq} refers to a missing base (block ${stored.base})`);
  const inBase = new Map<number, SnapshotFrame>();
  for (const t of base.threads) for (const f of t.stack) inBase.set(f.frame, f);
  for (const f of base.suspended) inBase.set(f.frame, f);
  const frame = (f: SnapshotFrame | number) => (typeof f === 'number' ? inBase.get(f)! : f);
  return {
    seq: stored.seq,
    threads: stored.threads.map((t) => ({
      thread: t.thread,
      stack: [...(base.threads.find((b) => b.thread === t.thread)?.stack.slice(0, t.keep) ?? []), ...t.push.map(frame)],
    })),
    suspended: stored.suspended.map(frame),
    globals: mergeGlobals(base.globals, stored.globals),
  };
}

function mergeGlobals(base: GlobalsList | undefined, changed: GlobalsList | undefined): GlobalsList | undefined {
  if (!changed?.length) return base;
  const out = new Map(base ?? []);
  for (const [m, g] of changed) out.set(m, g);
  return [...out];
}

export interface Meta {
  format: number;
  finished: boolean;
  argv: string[];
  cwd: string;
  python: string;
  implementation: string;
  platform: string;
  backend: string;
  /** The agent's C accelerator: 'on', 'off', or 'unavailable: why'; absent in older recordings. */
  accelerator?: string;
  pid: number;
  start: number;
  end: number | null;
  exitStatus: number | null;
  signal: string | null;
  uncaught: { type: string; message: string | null } | null;
  truncated: boolean;
  gitCommit: string | null;
  counts: { events: number; lines: number; calls: number; exceptions: number; outputs: number; frames: number; threads: number; files: number };
  agentVersion: number;
  /** What `rewind redact` replaced: names (and value patterns) with counts, never the values. */
  redacted?: Redaction;
  /**
   * A flight recording (record --max-events / --max-size): only events firstSeq..counts.events-1
   * are kept; the counts are of the whole run.
   */
  window?: { maxEvents?: number; maxBytes?: number; firstSeq: number };
  /** Environment variables: every name, with its value only where `record --env` allowed it. */
  env?: Record<string, string | null>;
  /** What the recording misses, as the agent said (an internal error, a tracer taken away). */
  warnings?: RecordingWarning[];
  /** Indexed while the program was still running: what it had recorded by then. */
  inProgress?: true;
}

/** The agent's WARNING: from event `seq` on, the recording misses something (agent/PROTOCOL.md). */
export interface RecordingWarning { seq: number; code: string; message: string }

/** One sentence on why a recording is not whole, or null if it is. */
export function incompleteness(meta: Meta): string | null {
  if (meta.inProgress) return 'the program was still running when this was opened: it holds what had been recorded by then';
  const w = meta.warnings ?? [];
  const failed = w.find((x) => x.code === 'agent-error');
  if (failed) return `the agent stopped recording at event ${failed.seq} after an internal error (${failed.message})`;
  const gaps = w.filter((x) => x.code === 'tracer-replaced').length;
  const never = w.some((x) => x.code === 'tracer-not-restored');
  if (gaps || never) {
    return `the program took Rewind's tracer away ${gaps === 1 ? 'once' : `${gaps} times`} (sys.settrace)` +
      (never ? ' and never gave it back: nothing after that was recorded on that thread' : ': what ran meanwhile is missing');
  }
  if (w.length) return w.map((x) => x.message).join('; ');
  if (meta.truncated) return 'the program was killed while an event was being written';
  return null;
}

/** The oldest snapshot interval of a flight recording, to be deleted (ingest.ts says what). */
export interface DroppedInterval {
  blocks: [number, number]; // first, end (exclusive)
  seqs: [number, number];
  lineIndex: [number, number, number][]; // file, line, group (INDEX_GROUP)
  varIndex: [number, number][]; // name, group
  codeIndex: [number, number][]; // code, group
  frames: FrameKey[]; // the frame records written in it
  runs: [number, number][]; // frame, start: the records of generators' runs that ended in it
}

/** Where frame records were written: a group of them, or a late frame alone (framegroups.ts). */
export type FrameKey = [group: number, fid: number | null];
const NO_FRAMES: FrameKey[] = [];

export interface Redaction { names: string[]; valuePatterns: string[]; counts: Record<string, number> }

export const packr = new Packr({ useRecords: false, moreTypes: false, int64AsType: 'auto' } as any);
const blockWriter = new BlockWriter(packr);
const pack = (v: unknown) => packr.pack(v);
const unpack = (b: Buffer) => packr.unpack(b);

type DB = Level<Buffer, Buffer>;

/** LevelDB's memtable while a recording is written: what the indexer holds of what it wrote. */
const WRITE_BUFFER = 16 << 20;

/** LevelDB's binding is loaded on first use: `rewind record` keeps the stream raw and never needs it. */
async function openDb(path: string, create: boolean, writeBufferSize?: number): Promise<DB> {
  const { Level } = await import('level');
  // Never undefined: the binding reads an option that is there as a number, and LevelDB clips
  // what it gets to 1 GB, so the memtable grew with the whole recording (the indexer's memory).
  return new Level<Buffer, Buffer>(path, { keyEncoding: 'buffer', valueEncoding: 'buffer', createIfMissing: create, errorIfExists: create, compression: true, writeBufferSize: writeBufferSize ?? WRITE_BUFFER } as any);
}

/** Writes a new recording; the recorder is its only user. */
/** RecordingWriter.minBatchBytes where the whole stream stays on disk until it is indexed. */
export const BATCH_BYTES = 256 << 10;

export class RecordingWriter {
  private batch: ReturnType<DB['batch']> | null = null;
  private pending = 0;
  /** Bytes of records written so far (the flight recorder's measure). */
  bytes = 0;
  private bytesWritten = 0; // `bytes` when the last batch went to LevelDB
  /**
   * Bytes of records a flush waits for before it writes (0: any 64 records). A batch crosses to
   * LevelDB's thread and back, and the indexer waits for one batch before it hands over the
   * next: written every 4096 events, 3.7 M events took ~900 batches and the indexer spent a
   * sixth of its time waiting (import 1.17 -> 1.03 s with 256 KB batches; 1 MB ones were no
   * faster and took 60 MB more). Only where the whole stream stays on disk until the end: the
   * flight recorder frees the stream as it indexes it, and what a batch holds is lost if it is
   * killed.
   */
  minBatchBytes = 0;
  private clears: { gte: Buffer; lt: Buffer }[] = [];
  /** What the flight recorder has dropped so far: blocks and seqs before these, frame records up to group `frame`. */
  private dropped: { block: number; seq: number; frame: number } | null = null;
  private compactDue = false;
  private frames = new FrameGroups<FrameRecord>();

  private constructor(readonly path: string, private db: DB) {}

  /** `writeBufferSize`: LevelDB's memtable (WRITE_BUFFER), smaller for a small flight recording. */
  static async create(path: string, writeBufferSize?: number): Promise<RecordingWriter> {
    const db = await openDb(path, true, writeBufferSize);
    await db.open();
    const version = Buffer.alloc(4);
    version.writeUInt32BE(FORMAT_VERSION);
    await db.put(key.version(), version);
    return new RecordingWriter(path, db);
  }

  private b() {
    return (this.batch ??= this.db.batch());
  }

  private put(k: Buffer, v: unknown) {
    const bytes = pack(v);
    this.b().put(k, bytes);
    this.bytes += k.length + bytes.length;
    this.pending++;
  }

  dropInterval(d: DroppedInterval) {
    const b = this.b();
    for (let block = d.blocks[0]; block < d.blocks[1]; block++) {
      b.del(key.block(block));
      b.del(key.snapshot(block));
    }
    for (const [file, line, group] of d.lineIndex) b.del(key.lineIndex(file, line, group));
    for (const [name, group] of d.varIndex) b.del(key.varIndex(name, group));
    for (const [code, group] of d.codeIndex) b.del(key.codeIndex(code, group));
    for (const [g, fid] of d.frames) b.del(fid === null ? key.frameGroup(g) : key.lateFrame(g, fid));
    for (const [fid, start] of d.runs) b.del(key.run(fid, start));
    this.pending += d.blocks[1] - d.blocks[0];
    // Exceptions and output are keyed by seq: a range each, cleared after the batch that wrote them.
    this.clears.push({ gte: key.exception(d.seqs[0]), lt: key.exception(d.seqs[1]) }, { gte: key.output(d.seqs[0]), lt: key.output(d.seqs[1]) });
    const frame = Math.max(this.dropped?.frame ?? 0, ...d.frames.map(([g]) => g));
    this.dropped = { block: d.blocks[1], seq: d.seqs[1], frame };
  }

  /**
   * Asks LevelDB to free what was dropped (it frees deleted records only when it compacts
   * them), at the next flush. Only the key ranges that hold dropped records and grow with the
   * run: blocks, snapshots, frames, exceptions and output (the indexes stay small).
   */
  compactDropped() { this.compactDue = this.dropped !== null; }

  /** A block's bytes (BlockWriter). */
  putBlock(block: number, bytes: Buffer) {
    const k = key.block(block);
    this.putRaw(k, bytes);
    this.bytes += k.length + bytes.length;
  }
  putSnapshot(block: number, s: Snapshot | SnapshotDelta) { this.put(key.snapshot(block), shareValues(s)); }
  /** The blocks of index group `group` in which `file:line` ran, as a bit mask (layout.ts). */
  putLineIndex(file: number, line: number, group: number, mask: number) { this.put(key.lineIndex(file, line, group), mask); }
  putVarIndex(name: number, group: number, mask: number) { this.put(key.varIndex(name, group), mask); }
  putCodeIndex(code: number, group: number, mask: number) { this.put(key.codeIndex(code, group), mask); }
  putLineRuns(file: number, line: number, count: number) { this.put(key.lineRuns(file, line), count); }
  /** A frame begins: its record, once it ends, waits for the rest of its group. */
  beginFrame(fid: number): FrameKey[] { return this.putFrames(this.frames.begin(fid)); }
  /** A frame has ended (or is running at the end of the recording). Returns the frame records written. */
  endFrame(f: FrameRecord): FrameKey[] { return this.putFrames(this.frames.end(f.frame, f)); }
  /** At the end of the recording, once every frame has its record: the groups still held. */
  endFrames(): FrameKey[] { return this.putFrames(this.frames.rest()); }

  private putFrames(ready: Ready<FrameRecord>[]): FrameKey[] {
    if (!ready.length) return NO_FRAMES;
    // Frames the flight recorder has dropped (ended before what it keeps) are not written.
    const kept = (f: FrameRecord | null): f is FrameRecord => f !== null && !(this.dropped && f.end !== null && f.end < this.dropped.seq);
    const out: FrameKey[] = [];
    for (const r of ready) {
      if ('late' in r) {
        if (!kept(r.record)) continue;
        this.put(key.lateFrame(groupOf(r.late), r.late), packFrame(r.record));
        out.push([groupOf(r.late), r.late]);
      } else {
        const records = r.records.map((x) => (kept(x) ? x : null));
        if (records.every((x) => x === null)) continue;
        this.put(key.frameGroup(r.group), packFrameGroup(records));
        out.push([r.group, null]);
      }
    }
    return out;
  }
  /** Runs of generator `fid` as start, end pairs (end null: it goes on to the end), in one record keyed by the first start. */
  putRuns(fid: number, runs: (number | null)[]) { this.put(key.run(fid, runs[0]!), packRuns(runs)); }
  putException(x: ExceptionRecord) { this.put(key.exception(x.seq), x); }
  putOutput(o: OutputRecord) { this.put(key.output(o.seq), o); }
  putFile(id: number, f: FileRecord) { this.put(key.source(id), [f.path, f.source]); }
  putNames(names: string[]) { this.put(key.names(), names); }
  putCodes(codes: CodeRecord[]) { this.put(key.codes(), codes); }
  putThreads(threads: ThreadRecord[]) { this.put(key.threads(), threads); }
  putMeta(meta: Meta) {
    this.b().put(key.meta(), Buffer.from(JSON.stringify(meta)));
    this.pending++;
  }

  /** A record copied as it is (redact.ts rewrites a recording entry by entry). */
  putRaw(k: Buffer, v: Buffer) {
    this.b().put(k, v);
    this.pending++;
  }

  /**
   * Writes what is batched when enough has piled up (or always, with force: then it is on disk
   * when this returns). A write runs while the caller decodes what comes next; the next one
   * waits for it, so they reach LevelDB one at a time, in order.
   */
  async flush(force = false) {
    if (this.batch && (force || (this.pending >= 64 && this.bytes - this.bytesWritten >= this.minBatchBytes))) {
      const b = this.batch;
      this.batch = null;
      this.pending = 0;
      this.bytesWritten = this.bytes;
      await this.writing;
      const clears = this.clears.splice(0);
      const compact = this.compactDue && this.dropped ? this.dropped : null;
      this.compactDue = false;
      this.writing = (async () => {
        await b.write();
        for (const r of clears) await this.db.clear(r);
        if (compact) {
          const { block, seq, frame } = compact;
          for (const [from, to] of [[key.block(0), key.block(block)], [key.snapshot(0), key.snapshot(block)], [key.frameGroup(0), key.frameGroup(frame + 1)],
            [key.exception(0), key.exception(seq)], [key.output(0), key.output(seq)]]) await this.compact(from, to);
        }
      })();
      this.writing.catch(() => {}); // a failure is thrown by the next flush, not as an unhandled rejection
    }
    if (force) await this.writing;
  }

  /** The batch being written, if any (see flush). */
  private writing: Promise<void> = Promise.resolve();

  async close() {
    await this.flush(true);
    if (this.dropped) {
      // Deleted records stay on disk until LevelDB compacts them: a flight recording is
      // compacted once at the end so that what is shared holds only what was kept.
      await this.compact(Buffer.from([0]), Buffer.from([0xff]));
    } else {
      // LevelDB may be writing its memtable out as a table: closed meanwhile, it drops that work
      // and the next open replays its log again. Compacting a range that holds no key waits for
      // it and writes out the rest of the memtable, so the recording opens without a log to replay.
      await this.compact(Buffer.from([0]), Buffer.from([0]));
    }
    await this.db.close();
  }

  private compact(from: Buffer, to: Buffer): Promise<void> {
    return (this.db as unknown as { compactRange(a: Buffer, b: Buffer): Promise<void> }).compactRange(from, to);
  }
}

/** A recording opened for reading. Every read the engine and frontends do goes through here. */
export class Recording {
  names: string[] = [];
  codes: CodeRecord[] = [];
  threads: ThreadRecord[] = [];
  private files = new Map<number, FileRecord>();
  private blockCache = new Map<number, StoredEvent[]>();
  private frameCache = new Map<number, FrameRecord>();
  /** Per generator frame, its runs in the record runAt read last (start, end pairs). */
  private runCache = new Map<number, (number | null)[]>();
  private format = FORMAT_VERSION; // the recording's (layout.ts)
  private bases = new Map<number, Snapshot>(); // block -> snapshot, resolved: the bases of deltas last read
  private paths: Map<number, string> | null = null;

  /** A folder this recording was unpacked into from a .rwd file, removed on close. */
  private unpacked: string | null = null;

  private constructor(readonly path: string, private db: DB, readonly meta: Meta) {}

  /** Opens a recording folder, or a .rwd file (unpacked into a temporary folder until close). */
  /**
   * Shows the indexing of a recording kept raw as it is first opened (the CLI sets it: a
   * progress line on a terminal); `done` and `total` are stream bytes.
   */
  static onIndexing: ((path: string) => { update(done: number, total: number): void; done(): void }) | null = null;

  static async open(path: string): Promise<Recording> {
    if (!existsSync(path)) throw new UserError(`${path} does not exist.`, 'REWIND_NOT_FOUND');
    if (statSync(path).isFile()) return Recording.openPacked(path);
    if (!statSync(path).isDirectory()) throw new UserError(`${path} is not a Rewind recording.`, 'REWIND_NOT_RECORDING');
    if (existsSync(join(path, RAW_FILE)) || !existsSync(join(path, 'CURRENT'))) {
      const deferred = await import('../recorder/deferred.js'); // loaded only when needed
      // Still being recorded: what has arrived so far, indexed aside (the stream stays as it is).
      if (deferred.recorderOf(path) !== null) return Recording.openAside(path, (dir) => deferred.indexSoFar(path, dir));
      if (existsSync(join(path, RAW_FILE))) await Recording.index(path);
    }
    return Recording.openFolder(path, path);
  }

  /** Opens the index in folder `dir` as it is, whether a raw stream lies beside it or not (the indexer's own use). */
  static openIndex(dir: string): Promise<Recording> {
    return Recording.openFolder(dir, dir);
  }

  /** Indexes a recording kept raw (`rewind record` leaves them so): the recorder's code does it. */
  static async index(path: string): Promise<void> {
    const { indexRaw } = await import('../recorder/deferred.js'); // loaded only when needed
    const shown = Recording.onIndexing?.(path);
    try {
      await indexRaw(path, shown ? (done, total) => shown.update(done, total) : undefined);
    } finally {
      shown?.done();
    }
  }

  /** Opens the LevelDB folder `dir`; `path` is how people know the recording (in messages). */
  private static async openFolder(dir: string, path: string, shared = true): Promise<Recording> {
    if (!existsSync(join(dir, 'CURRENT'))) throw new UserError(`${path} is not a Rewind recording.`, 'REWIND_NOT_RECORDING');
    const db = await openDb(dir, false);
    try {
      await db.open({ passive: false } as any);
    } catch (e: any) {
      const why = String(e?.cause?.message ?? e?.message ?? e);
      if (/lock/i.test(why)) {
        // Another process holds it (a viewer, or the recorder still writing): read a view of it.
        if (shared) return Recording.openAside(path, async (view) => { viewOf(dir, view); });
        throw new UserError(`${path} is in use by another Rewind process (it may still be recording).`, 'REWIND_LOCKED');
      }
      throw new UserError(`${path} is corrupt and cannot be opened (${why.split('\n')[0]}).`, 'REWIND_CORRUPT');
    }
    try {
      const v = await db.get(key.version());
      if (!v || v.length !== 4) throw new UserError(`${path} is not a Rewind recording.`, 'REWIND_NOT_RECORDING');
      const version = v.readUInt32BE(0);
      if (version > FORMAT_VERSION) {
        throw new UserError(`${path} was made by a newer Rewind (recording format ${version}); this Rewind reads format ${FORMAT_VERSION}. Upgrade Rewind to open it.`, 'REWIND_NEWER_FORMAT');
      }
      if (version < OLDEST_READABLE) {
        throw new UserError(`${path} was made by an older Rewind (recording format ${version}); this Rewind reads formats ${OLDEST_READABLE} to ${FORMAT_VERSION}. Record the program again.`, 'REWIND_OLDER_FORMAT');
      }
      const m = await db.get(key.meta());
      if (!m) throw new UserError(`${path} is incomplete: the recorder stopped before writing its metadata.`, 'REWIND_CORRUPT');
      const rec = new Recording(path, db, JSON.parse(m.toString()) as Meta);
      rec.format = version;
      rec.names = ((await rec.getPacked(key.names())) as string[]) ?? [];
      rec.codes = ((await rec.getPacked(key.codes())) as CodeRecord[]) ?? [];
      rec.threads = ((await rec.getPacked(key.threads())) as ThreadRecord[]) ?? [];
      return rec;
    } catch (e) {
      await db.close();
      if (e instanceof UserError) throw e;
      throw new UserError(`${path} is corrupt: ${(e as Error).message.split('\n')[0]}.`, 'REWIND_CORRUPT');
    }
  }

  private static openPacked(file: string): Promise<Recording> {
    return Recording.openAside(file, async (dir) => { await unpackRecording(file, dir); });
  }

  /**
   * Opens a temporary copy of recording `path` that `make` writes into a folder of its own
   * (unpacked from a .rwd, viewed while another process holds it); removed on close.
   */
  private static async openAside(path: string, make: (dir: string) => Promise<void>): Promise<Recording> {
    const tmp = mkdtempSync(join(tmpdir(), 'rewind-open-'));
    try {
      await make(join(tmp, 'recording'));
      const rec = await Recording.openFolder(join(tmp, 'recording'), path, false);
      rec.unpacked = tmp;
      return rec;
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  private async getPacked(k: Buffer): Promise<unknown> {
    const v = await this.db.get(k);
    return v === undefined ? undefined : unpack(v);
  }

  async close() {
    await this.db.close();
    if (this.unpacked) rmSync(this.unpacked, { recursive: true, force: true });
  }

  get eventCount(): number { return this.meta.counts.events; }

  /** The first event kept: 0, or later in a flight recording (earlier events were dropped). */
  get firstSeq(): number { return this.meta.window?.firstSeq ?? 0; }

  /** "events 0 to 1,234" (for messages that say what a recording holds). */
  get span(): string { return `events ${this.firstSeq} to ${this.eventCount - 1}`; }

  name(id: number): string { return this.names[id] ?? `?${id}`; }

  async file(id: number): Promise<FileRecord | undefined> {
    let f = this.files.get(id);
    if (!f) {
      const v = (await this.getPacked(key.source(id))) as [string, string | null] | undefined;
      if (!v) return undefined;
      f = { path: v[0], source: v[1] };
      this.files.set(id, f);
    }
    return f;
  }

  async block(b: number): Promise<StoredEvent[]> {
    const cached = this.blockCache.get(b);
    if (cached) return cached;
    const stored = await this.getPacked(key.block(b));
    return this.remember(b, stored ? unpackBlock(stored) : []);
  }

  private remember(b: number, events: StoredEvent[]): StoredEvent[] {
    return keep(this.blockCache, 64, b, events);
  }

  /** Blocks lo..hi (inclusive), the ones not cached read together; stops at the recording's end. */
  async blockRange(lo: number, hi: number): Promise<StoredEvent[][]> {
    const missing = this.uncached(lo, hi);
    const read = missing.length ? await this.db.getMany(missing.map(key.block)) : [];
    return this.decodeRange(lo, hi, missing, read);
  }

  /**
   * What rebuilding the state inside `block` takes, in one LevelDB read: the snapshot at the
   * start of its snapshot interval and the blocks from there to `block`.
   */
  async interval(block: number): Promise<{ snapshot: Snapshot | undefined; first: number; blocks: StoredEvent[][] }> {
    const first = block - (block % SNAPSHOT_EVERY);
    const missing = this.uncached(first, block);
    const [snap, ...read] = await this.db.getMany([key.snapshot(first), ...missing.map(key.block)]);
    if (snap) return { snapshot: await this.resolved(snap), first, blocks: this.decodeRange(first, block, missing, read) };
    // No snapshot where the recorder puts them (the recording's first blocks): the one before, if any.
    const older = await this.snapshotBefore(first);
    const from = older?.block ?? 0;
    return { snapshot: older?.snapshot, first: from, blocks: await this.blockRange(from, block) };
  }

  /** Blocks of lo..hi that are not in the block cache. */
  private uncached(lo: number, hi: number): number[] {
    const out: number[] = [];
    for (let b = lo; b <= hi; b++) if (!this.blockCache.has(b)) out.push(b);
    return out;
  }

  /** Blocks lo..hi from the cache, or decoded from `read` (the values of `missing`, in order). */
  private decodeRange(lo: number, hi: number, missing: number[], read: (Buffer | undefined)[]): StoredEvent[][] {
    const out: StoredEvent[][] = [];
    for (let b = lo, m = 0; b <= hi; b++) {
      // Not cached: a goto decodes up to a snapshot interval of blocks, most never looked at again.
      const events = this.blockCache.get(b) ?? (b === missing[m] && read[m++] ? unpackBlock(unpack(read[m - 1]!)) : undefined);
      if (!events) break;
      out.push(events);
    }
    return out;
  }

  /**
   * The blocks named by `blocks` (ascending), undecoded (see BlockView), read with one LevelDB
   * iterator: a scan over an index reads nearby blocks in big sequential batches, and seeks
   * over long gaps, instead of one random read per block. The next batch is read while the
   * caller works on this one.
   */
  async *rawBlocks(blocks: AsyncIterable<number>): AsyncGenerator<[number, Buffer]> {
    const READ_AHEAD = 64; // blocks per batch: about 150 KB compressed
    const it = this.db.iterator(range('B'));
    let batch: [Buffer, Buffer][] = [];
    let i = 0;
    let ahead: Promise<[Buffer, Buffer][]> | undefined;
    let at = -1; // the last block read
    const refill = async () => {
      batch = await (ahead ?? it.nextv(READ_AHEAD));
      i = 0;
      ahead = batch.length ? it.nextv(READ_AHEAD) : undefined;
      return batch.length > 0;
    };
    try {
      for await (const b of blocks) {
        if (at < 0 || b > at + 16) {
          await ahead; // an iterator seeks only when no read is under way
          ahead = undefined;
          it.seek(key.block(b));
          batch = [];
        }
        for (;;) {
          if (i >= batch.length && !(await refill())) return;
          const [k, v] = batch[i];
          at = keyInts(k)[0];
          if (at > b) break;
          i++;
          if (at === b) { yield [b, v]; break; }
        }
      }
    } finally {
      await ahead?.catch(() => undefined);
      await it.close();
    }
  }

  /**
   * The blocks named by `blocks` (ascending), decoded; read as rawBlocks reads them. Not kept in
   * the block cache: a scan's blocks are not looked at again, and keeping each one for 64 more
   * made the garbage collector copy and promote them all (decoding took three times as long).
   */
  async *blocksOf(blocks: AsyncIterable<number>): AsyncGenerator<[number, StoredEvent[]]> {
    for await (const [b, raw] of this.rawBlocks(blocks)) yield [b, this.blockCache.get(b) ?? unpackBlock(unpack(raw))];
  }

  async event(seq: number): Promise<StoredEvent | undefined> {
    return (await this.block(Math.floor(seq / BLOCK)))[seq % BLOCK];
  }

  /** Events from..to inclusive, in order. */
  async *events(from: number, to: number): AsyncGenerator<[number, StoredEvent]> {
    const first = Math.floor(from / BLOCK), last = Math.floor(to / BLOCK);
    async function* numbers() { for (let b = first; b <= last; b++) yield b; }
    let expected = first;
    for await (const [b, events] of this.blocksOf(numbers())) {
      if (b !== expected++) return; // a block missing: the recording ends before it
      for (let i = 0; i < events.length; i++) {
        const seq = b * BLOCK + i;
        if (seq >= from && seq <= to) yield [seq, events[i]];
      }
    }
  }

  async frame(fid: number): Promise<FrameRecord | undefined> {
    if (!this.frameCache.has(fid)) {
      if (this.format < 6) {
        const stored = await this.getPacked(key.frame(fid));
        if (stored) this.cacheFrame(unpackFrame(stored));
      } else {
        // The frame's group and any late frames of it, which sort right after it.
        const g = groupOf(fid);
        for await (const [k, v] of this.db.iterator(range('F', g))) {
          if (k.length > 5) this.cacheFrame(unpackFrame(unpack(v)));
          else for (const f of unpackFrameGroup(g, unpack(v))) this.cacheFrame(f);
        }
      }
    }
    return this.frameCache.get(fid);
  }

  private cacheFrame(f: FrameRecord) {
    keep(this.frameCache, 4096, f.frame, f);
  }

  /**
   * The run of generator (or coroutine) frame `fid` that began last at or before `seq`, from its
   * call or resume to the event that ended it (null: running at the end); undefined for a frame
   * that never yielded.
   */
  async runAt(fid: number, seq: number): Promise<[number, number | null] | undefined> {
    if (this.format <= 4) return [...((await this.frame(fid))?.spans ?? [])].reverse().find(([a]) => a <= seq);
    if (this.format >= 7 && (await this.frame(fid))?.yielded !== true) return undefined; // no seek for most frames
    // The record read last for this frame holds the answer if seq is within its runs: no later
    // record begins before its last run ends.
    let runs = this.runCache.get(fid);
    if (!runs || seq < runs[0]! || seq > (runs[runs.length - 1] ?? Infinity)) {
      runs = undefined;
      for await (const [k, v] of this.db.iterator({ gte: key.run(fid, 0), lte: key.run(fid, seq), reverse: true, limit: 1 })) {
        runs = unpackRuns(keyInts(k)[1], unpack(v));
      }
      if (!runs) return undefined;
      keep(this.runCache, 4096, fid, runs);
    }
    return runBefore(runs, seq);
  }

  /** Every recorded file: id -> path (sources are read one at a time by file()). */
  async filePaths(): Promise<Map<number, string>> {
    if (!this.paths) {
      const paths = new Map<number, string>();
      for await (const [k, v] of this.db.iterator(range('S'))) paths.set(keyInts(k)[0], (unpack(v) as [string])[0]);
      this.paths = paths;
    }
    return this.paths;
  }

  /** The snapshot at or before `block`. */
  async snapshotBefore(block: number): Promise<{ block: number; snapshot: Snapshot } | undefined> {
    if (block % SNAPSHOT_EVERY === 0) {
      // Where the recorder put one: a point read, cheaper than a reverse seek.
      const v = await this.db.get(key.snapshot(block));
      if (v) return { block, snapshot: await this.resolved(v) };
    }
    for await (const [k, v] of this.db.iterator({ gte: range('P').gte, lte: key.snapshot(block), reverse: true, limit: 1 })) {
      return { block: keyInts(k)[0], snapshot: await this.resolved(v) };
    }
    return undefined;
  }

  /** A stored snapshot, a delta resolved through its bases (recent ones are kept resolved). */
  private async resolved(packed: Buffer): Promise<Snapshot> {
    const stored = unshareValues(unpack(packed) as Snapshot | SnapshotDelta);
    if (!('base' in stored)) return stored;
    let base = this.bases.get(stored.base);
    if (!base) {
      const b = await this.db.get(key.snapshot(stored.base));
      if (b) {
        base = keep(this.bases, 16, stored.base, await this.resolved(b));
      }
    }
    return resolveSnapshot(stored, base);
  }

  /**
   * Blocks in which `file:line` has line events, from `fromBlock` on (or backwards). With
   * `spread`, at most one block per `spread` blocks (for a timeline: one seek per mark).
   */
  lineBlocks(file: number, line: number, fromBlock = 0, reverse = false, spread = 1): AsyncGenerator<number> {
    return this.indexBlocks('L', [file, line], fromBlock, reverse, spread);
  }

  /** Blocks in which a local called `name` changed (or was bound as an argument). */
  varBlocks(name: number, fromBlock = 0, reverse = false, spread = 1): AsyncGenerator<number> {
    return this.indexBlocks('V', [name], fromBlock, reverse, spread);
  }

  /** Blocks in which a frame of `code` started. */
  codeBlocks(code: number, fromBlock = 0, reverse = false, spread = 1): AsyncGenerator<number> {
    return this.indexBlocks('C', [code], fromBlock, reverse, spread);
  }

  /** Sequence numbers of the exceptions raised, at most one per `spread` events. */
  exceptionSeqs(spread = 1): AsyncGenerator<number> {
    return this.indexKeys('X', [], 0, false, spread);
  }

  /**
   * The blocks an index ('L', 'V', 'C') of `fixed` holds, from block `from` on (or backwards);
   * with `spread`, the first of each run of `spread` blocks, seeking past the rest.
   */
  private async *indexBlocks(prefix: string, fixed: number[], from: number, reverse: boolean, spread: number): AsyncGenerator<number> {
    if (this.format < GROUPED_INDEX) { yield* this.indexKeys(prefix, fixed, from, reverse, spread); return; }
    const r = range(prefix, ...fixed);
    const groupOf = (b: number) => Math.floor(b / INDEX_GROUP);
    const bound = range(prefix, ...fixed, groupOf(from)).gte;
    const it = this.db.iterator(reverse ? { gte: r.gte, lte: bound, reverse: true } : { gte: bound, lt: r.lt });
    // with spread: the first block of the next run (backwards: the last of the one before)
    let next = from;
    try {
      for (;;) {
        const entry = await it.next();
        if (entry === undefined) return;
        const group = keyInts(entry[0])[fixed.length];
        const mask = unpack(entry[1]) as number;
        for (let i = 0; i < INDEX_GROUP; i++) {
          const bit = reverse ? INDEX_GROUP - 1 - i : i;
          const b = group * INDEX_GROUP + bit;
          if (!(mask & (1 << bit)) || (reverse ? b > next : b < next)) continue;
          yield b;
          if (spread > 1) next = reverse ? b - (b % spread) - 1 : b - (b % spread) + spread;
        }
        if (spread > 1 && groupOf(next) !== group) {
          if (next < 0 || next > 0xffffffff) return;
          it.seek(range(prefix, ...fixed, groupOf(next)).gte);
        }
      }
    } finally {
      await it.close();
    }
  }

  /**
   * The integers after `fixed` in the keys of `prefix` + `fixed`, from `from` on (or
   * backwards); with `spread`, the first of each run of `spread` values, seeking past the rest.
   */
  private async *indexKeys(prefix: string, fixed: number[], from: number, reverse: boolean, spread: number): AsyncGenerator<number> {
    const r = range(prefix, ...fixed);
    const bound = range(prefix, ...fixed, from).gte;
    const it = this.db.keys(reverse ? { gte: r.gte, lte: bound, reverse: true } : { gte: bound, lt: r.lt });
    try {
      for (;;) {
        const k = await it.next();
        if (k === undefined) return;
        const v = keyInts(k)[fixed.length];
        yield v;
        if (spread > 1) {
          const next = reverse ? v - (v % spread) - 1 : v - (v % spread) + spread;
          if (next < 0 || next > 0xffffffff) return;
          it.seek(range(prefix, ...fixed, next).gte);
        }
      }
    } finally {
      await it.close();
    }
  }

  /** How often `file:line` ran: one read (in older recordings, the sum of its index entries). */
  async lineRuns(file: number, line: number): Promise<number> {
    const total = await this.getPacked(key.lineRuns(file, line));
    if (typeof total === 'number') return total;
    if (this.format >= GROUPED_INDEX) return 0; // its index values are masks, not counts
    let n = 0;
    for await (const v of this.db.values(range('L', file, line))) n += unpack(v) as number;
    return n;
  }

  /** Lines of `file` that ran, ascending: one seek per line, however often each ran. */
  async linesRan(file: number): Promise<number[]> {
    const out: number[] = [];
    const it = this.db.keys(range('L', file));
    try {
      for (let k = await it.next(); k !== undefined; k = await it.next()) {
        const line = keyInts(k)[1];
        out.push(line);
        it.seek(range('L', file, line + 1).gte);
      }
    } finally {
      await it.close();
    }
    return out;
  }

  /** The last `n` pieces of output written at or before event `seq`, in time order. */
  async outputsBefore(seq: number, n: number): Promise<OutputRecord[]> {
    const out: OutputRecord[] = [];
    for await (const v of this.db.values({ gte: range('O').gte, lte: key.output(seq), reverse: true, limit: n })) out.push(unpack(v) as OutputRecord);
    return out.reverse();
  }

  /** Every entry, in key order, as stored (redact.ts rewrites a recording from these). */
  async *entries(): AsyncGenerator<[Buffer, Buffer]> {
    for await (const entry of this.db.iterator()) yield entry;
  }

  /** Exceptions raised, in order; with from/to, those raised at events from..to. */
  async *exceptions(from = 0, to = 0xffffffff): AsyncGenerator<ExceptionRecord> {
    for await (const v of this.db.values({ gte: key.exception(from), lte: key.exception(to) })) yield unpack(v) as ExceptionRecord;
  }

  /** Program output written after event `after`, up to event `upto`. */
  async *outputsBetween(after: number, upto: number): AsyncGenerator<OutputRecord> {
    for await (const v of this.db.values({ gte: key.output(Math.max(after + 1, 0)), lte: key.output(upto) })) yield unpack(v) as OutputRecord;
  }

  /** Exceptions from event `seq` on, or (reverse) from it back to the first. */
  async *exceptionsFrom(seq: number, reverse: boolean): AsyncGenerator<ExceptionRecord> {
    const span = reverse ? { gte: key.exception(0), lte: key.exception(seq), reverse } : { gte: key.exception(seq), lte: key.exception(0xffffffff) };
    for await (const v of this.db.values(span)) yield unpack(v) as ExceptionRecord;
  }

  async *outputs(toSeq = Infinity): AsyncGenerator<OutputRecord> {
    for await (const v of this.db.values(range('O'))) {
      const o = unpack(v) as OutputRecord;
      if (o.seq > toSeq) return;
      yield o;
    }
  }
}
