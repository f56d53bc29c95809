// Turns the agent's event stream into a recording: sequence numbers, per-thread stacks,
// frame depths, indexes, snapshots. Knows the wire (protocol.ts, encoded.ts) and the store's API, not
// its keys.
import { K, PyFloat, VERSION, WireError, type WireEvent, type WireValue } from '../wire/protocol.js';
import { Encoded, callerName, isUnbound, itemStart, unreadable, visitEncoded } from '../wire/encoded.js';
import { applyPatch, isPatch } from '../wire/patch.js';
import {
  BLOCK, EK, SNAPSHOT_EVERY, RecordingWriter, packr, sharesGlobals,
  type CodeRecord, type GlobalsList, type ExceptionRecord, type FrameKey, type FrameRecord, type Meta, type RecordingWarning, type Snapshot, type SnapshotDelta, type SnapshotFrame, type ThreadRecord,
} from '../store/store.js';
import { FORMAT_VERSION, INDEX_GROUP } from '../store/layout.js';
import { BlockWriter } from '../store/blockwriter.js';

/** A recorded value as the indexer holds it: scalars decoded, the rest as the agent encoded it. */
type Value = WireValue | Encoded;

interface LiveFrame {
  fid: number; code: number; tid: number; parent: number; depth: number; start: number; line: number;
  locals: Map<number, Value>;
  entered: number; // seq of the call or resume that began the frame's current run
  runs: boolean; // it has yielded: each of its runs is stored ('G' records)
  ran: (number | null)[] | null; // its runs that ended in this snapshot interval: start, end pairs
  running: boolean; // on its thread's stack (not suspended)
  changed: number; // seq of its last event that changed what a snapshot holds of it (call, line, resume elsewhere)
}

interface ThreadState extends ThreadRecord { stack: LiveFrame[] }

/**
 * Snapshots come in cycles: a full one, then deltas, the one numbered i in the cycle from the
 * one numbered i & (i - 1) (a Fenwick tree). A reader resolves at most log2(DELTA_CYCLE) deltas,
 * and a frame that stays is written O(log DELTA_CYCLE) times a cycle, not at every snapshot.
 */
const DELTA_CYCLE = 256;

/** How the program ended, as the recorder saw it (the agent's END event and the OS). */
export interface Ending {
  exitStatus: number | null;
  signal: string | null;
  truncated: boolean;
  /** When the program ended (seconds since the epoch), if not now; null if nobody saw it end. */
  end?: number | null;
  /** The program is still running: this is what it had recorded when someone looked. */
  inProgress?: boolean;
}

/**
 * The flight recorder's limits: keep only the most recent part of a long run. Whole snapshot
 * intervals (SNAPSHOT_EVERY blocks) are dropped from the front, so the first event kept
 * always has a snapshot and any point of what is kept is rebuilt as in a full recording.
 */
export interface Limits {
  maxEvents?: number; // keep at least this many of the last events, and not many more
  maxBytes?: number; // keep about this many bytes of records (before LevelDB's compression)
}

/** One snapshot interval as the flight recorder sees it: what to delete if it is dropped. */
interface Interval {
  block: number; // its first block
  seq: number; // its first event
  bytes: number; // what its records took
  lineIndex: number[]; // (file << 22 | line), group pairs (INDEX_GROUP)
  varIndex: number[]; // name, group pairs
  codeIndex: number[]; // code, group pairs
  lineRuns: Map<number, number>; // what it added to each line's total
  frames: FrameKey[]; // frame records written in it
  runs: number[]; // the records of generators' runs that ended in it: frame, first start pairs
}

/**
 * The exception in flight on a thread, whose fate is not known yet. `frame`: the recorded frame
 * it reached, 0 once it left recorded code. `handled`: a line ran in that frame since, so a
 * handler or a `finally` runs; it is caught unless the frame then exits through it.
 */
interface PendingException { rec: ExceptionRecord; frame: number; handled: boolean }

const NONE: number[] = [];
const WRITE_EVERY = 4096; // events

/** The agent numbers threads in the order of their first event: the program starts on the main one. */
const MAIN_THREAD = 1;

export class Ingest {
  names: string[] = [];
  codes: CodeRecord[] = [];
  fileCount = 0;
  private threads = new Map<number, ThreadState>();
  private cur: ThreadState | null = null;
  /**
   * Live frames that have yielded (generators, coroutines), running or suspended. The others
   * are on their threads' stacks: a map of every live frame, updated at every call and
   * return, was a tenth of indexing a call-heavy run.
   */
  private yielders = new Map<number, LiveFrame>();
  /** Frames with runs that ended in this snapshot interval: written together as it ends. */
  private ran: LiveFrame[] = [];
  /** Module globals by module name id (a module body's frame has the same map as its locals). */
  private globals = new Map<number, Map<number, Value>>();
  private globalsChanged = new Map<number, number>(); // module -> seq of its last change
  seq = 0;
  private block = new BlockWriter(packr);
  // The event being indexed ends at srcEnd of src (its payload is copied from there as it is).
  private src: Uint8Array = Buffer.alloc(0);
  private srcEnd = 0;
  private blockNo = 0;
  private lineIdx: Tally[] = []; // by file: how often each line ran in this block
  private lineFiles: number[] = []; // the files with lines in this block
  private lineRuns = new Map<number, number>(); // (file << 22 | line) -> count in all
  private varIdx = new Tally(); // names changed in this block
  private codeIdx = new Tally(); // codes called in this block
  /**
   * The blocks of this index group (INDEX_GROUP) each line ran in, each name changed in and
   * each code was called in, as bit masks: written as the group ends, a record each. A record
   * per block was most of LevelDB's work (3.7 M events: 130,000 puts, a tenth of the indexing).
   */
  private lineMasks = new Masks(); // by file << 22 | line
  private varMasks = new Masks();
  private codeMasks = new Masks();
  private hello: Record<string, unknown> = {};
  end: { status: number; uncaught: { type: string; message: string | null } | null } | null = null;
  /** What the agent said the recording misses (PROTOCOL.md, WARNING), in order. */
  warnings: RecordingWarning[] = [];
  private pendingExc = new Map<number, PendingException>(); // per thread
  counts = { events: 0, lines: 0, calls: 0, exceptions: 0, outputs: 0, frames: 0, threads: 0, files: 0 };
  private carry: Buffer | null = null;
  private snapshotDue = false;
  private pendingOutput: { seq: number; stream: 1 | 2; text: string; thread: number; frame: number } | null = null;
  /** The snapshots of the current cycle, the full one first (see DELTA_CYCLE). */
  private cycle: { block: number; seq: number }[] = [];
  private started = Date.now() / 1000;
  /** The first event kept (not 0 once the flight recorder has dropped the oldest part). */
  firstSeq = 0;
  private intervals: Interval[] = []; // kept, oldest first; the last one is being written
  private bytesAtInterval = 0;
  private droppedBytes = 0; // since the last compaction

  constructor(private w: RecordingWriter, private limits: Limits = {}) {
    if (this.windowed) this.intervals.push(newInterval(0, 0));
  }

  private get windowed(): boolean { return this.limits.maxEvents != null || this.limits.maxBytes != null; } // options left out arrive as undefined

  /**
   * Feeds a chunk of the raw stream; a partial event at the end is kept for the next chunk.
   * What it makes is handed to the writer every WRITE_EVERY events: the records made of a
   * chunk's events grow with how many it holds (values sent as patches make a chunk hold
   * several times more), and so does the memory a batch takes while LevelDB writes it.
   */
  async feed(chunk: Buffer) {
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.src = buf;
    let at = 0, n: number;
    const each = (e: WireEvent, _start: number, end: number) => {
      n++;
      this.srcEnd = end;
      this.event(e);
    };
    do {
      n = 0;
      at = visitEncoded(buf, each, at, WRITE_EVERY);
      if (n === WRITE_EVERY) await this.w.flush();
    } while (n === WRITE_EVERY);
    this.carry = at < buf.length ? Buffer.from(buf.subarray(at)) : null;
    await this.w.flush();
  }

  /** True if bytes of an unfinished event were left over at the end of the stream. */
  get leftover(): boolean { return this.carry !== null && this.carry.length > 0; }

  private event(e: WireEvent) {
    // The snapshot for a block is taken before anything of its first event is applied.
    if (this.snapshotDue) {
      this.writeRuns();
      this.w.putSnapshot(this.blockNo, this.snapshot());
      this.snapshotDue = false;
      if (this.windowed) this.nextInterval();
    }
    if (typeof e === 'number') return this.line(e, null);
    switch (e[0]) {
      case K.LINE: return this.line(e[1] as number, e);
      case K.CALL: return this.call(e[1] as number, e[2] as number, e);
      case K.RETURN: return this.leave(EK.RETURN, e);
      case K.YIELD: return this.leave(EK.YIELD, e);
      case K.UNWIND: return this.leave(EK.UNWIND, e);
      case K.RESUME: return this.resume(e[1] as number);
      case K.EXCEPTION: return this.exception(this.names[e[1] as number], e[2] as string | null, e[3] as boolean);
      case K.OUTPUT: return this.output(e[1] as 1 | 2, e[2] as string);
      case K.THREAD: return this.thread(e[1] as number, e[2] as string | undefined);
      case K.THREAD_END: { const t = this.threads.get(e[1] as number); if (t) t.ended = true; return; }
      case K.NAME: this.names[e[1] as number] = e[2] as string; return;
      case K.CODE: {
        const c: CodeRecord = { file: e[2] as number, name: e[3] as string, qualname: e[4] as string, firstLine: e[5] as number };
        if (typeof e[6] === 'number') c.module = e[6];
        this.codes[e[1] as number] = c;
        return;
      }
      case K.GLOBALS: return this.globalsChange(e[1] as number, e.slice(2) as unknown[]);
      case K.FILE:
        this.fileCount++;
        this.w.putFile(e[1] as number, { path: e[2] as string, source: (e[3] as string | null) ?? null });
        return;
      case K.HELLO:
        if (typeof e[1] === 'number' && e[1] > VERSION) throw new WireError(`the stream was written by a newer Rewind agent (wire version ${e[1]}; this Rewind reads up to ${VERSION}): open it with that version of Rewind`);
        this.hello = (e[2] ?? {}) as Record<string, unknown>;
        return;
      case K.WARNING: this.warnings.push({ seq: this.seq, code: String(e[1]), message: String(e[2]) }); return;
      case K.SYNC: return this.sync(e.slice(1) as number[]);
      case K.DROPPED: return this.dropped(e.slice(1) as number[]);
      case K.END: {
        const x = e[2] as [number, string | null] | null;
        this.end = { status: e[1] as number, uncaught: x ? { type: this.names[x[0]], message: x[1] } : null };
        return;
      }
    }
  }

  /**
   * After a gap in the current thread's events, its recorded frames still running: the others
   * on its stack ended unseen during the gap.
   */
  private sync(live: number[]) {
    const t = this.thr();
    const keep = new Set(live);
    const last = Math.max(this.seq - 1, 0);
    t.stack = t.stack.filter((f) => {
      if (keep.has(f.fid)) return true;
      this.ended(f, Math.max(last, f.start), 'lost');
      return false;
    });
    t.stack.forEach((f, i) => { if (f.depth !== i + 1) { f.depth = i + 1; f.changed = this.seq; } });
    // An exception in flight (a RecursionError) was in a frame that ended unseen: it moved out.
    const pending = this.pendingExc.get(t.thread);
    if (pending && pending.frame !== 0 && !keep.has(pending.frame)) pending.frame = t.stack.at(-1)?.fid ?? 0;
  }

  /** Suspended frames whose generators were freed: they will not run again. */
  private dropped(fids: number[]) {
    const last = Math.max(this.seq - 1, 0);
    for (const fid of fids) {
      const f = this.yielders.get(fid);
      if (f && !f.running) this.ended(f, Math.max(last, f.start), 'dropped'); // else ended, or running
    }
  }

  /** A run of `f` has ended at `end` (null: it goes on to the end of the recording). */
  private ranTo(f: LiveFrame, end: number | null) {
    if (!f.ran) {
      f.ran = [];
      this.ran.push(f);
    }
    f.ran.push(f.entered, end);
  }

  /** The runs that ended in this snapshot interval, a record per frame (the flight recorder drops them with it). */
  private writeRuns() {
    const iv = this.windowed ? this.intervals[this.intervals.length - 1] : null;
    for (const f of this.ran) {
      this.w.putRuns(f.fid, f.ran!);
      if (iv) iv.runs.push(f.fid, f.ran![0]!);
      f.ran = null;
    }
    this.ran.length = 0;
  }

  /** Frame `f` is over: its record is written (with its group), and the flight recorder drops it with its interval. */
  private ended(f: LiveFrame, end: number, kind: FrameRecord['endKind']) {
    if (f.runs) this.yielders.delete(f.fid);
    this.framesWritten(this.w.endFrame(this.frameRecord(f, end, kind)));
  }

  private framesWritten(keys: FrameKey[]) {
    if (this.windowed && keys.length) this.intervals[this.intervals.length - 1].frames.push(...keys);
  }

  private thread(tid: number, name?: string) {
    let t = this.threads.get(tid);
    if (!t) {
      t = { thread: tid, name: name ?? `Thread-${tid}`, first: this.seq, last: this.seq, ended: false, stack: [] };
      this.threads.set(tid, t);
      this.counts.threads++;
    }
    this.cur = t;
  }

  private thr(): ThreadState {
    if (!this.cur) this.thread(1, 'MainThread');
    return this.cur!;
  }

  /** Event `kind` in frame `f` (none: 0s) of the current thread, with payload `items` (or null). */
  private push(kind: number, f: LiveFrame | undefined, line: number, items: unknown[] | null) {
    this.block.add(kind, this.cur!.thread, f?.fid ?? 0, f?.depth ?? 0, f?.code ?? 0, line, items);
    this.pushed();
  }

  /**
   * The same, its payload the current event's items from `item` on, as the agent encoded them;
   * `nested`: as one list (a line's changes, a call's arguments).
   */
  private pushEncoded(kind: number, f: LiveFrame, item: number, count: number, nested: boolean) {
    this.block.addEncoded(kind, this.cur!.thread, f.fid, f.depth, f.code, f.line, this.src, itemStart(item), this.srcEnd, count, nested);
    this.pushed();
  }

  private pushed() {
    this.cur!.last = this.seq;
    this.seq++;
    this.counts.events++;
    if (this.block.length === BLOCK) this.flushBlock();
  }

  /** `e`: the wire event, its changes from item 2 (null: a bare line number). */
  private line(line: number, e: unknown[] | null) {
    const t = this.thr();
    const f = t.stack[t.stack.length - 1];
    if (!f) return; // a line outside any recorded frame cannot happen; ignore defensively
    if (this.pendingExc.size) { // (most lines run with no exception in flight)
      this.caughtOutside(t);
      const pending = this.pendingExc.get(t.thread);
      if (pending && pending.frame === f.fid) pending.handled = true;
    }
    f.line = line;
    f.changed = this.seq;
    const code = this.codes[f.code];
    let lines = this.lineIdx[code.file];
    if (!lines) this.lineIdx[code.file] = lines = new Tally();
    if (!lines.size) this.lineFiles.push(code.file);
    lines.add(line);
    this.counts.lines++;
    if (e && e.length > 2) {
      const rebuilt = this.unpatch(f.locals, e, 2);
      this.applyChanges(f.locals, e, 2);
      if (sharesGlobals(code)) this.globalsChanged.set(code.module!, this.seq);
      if (rebuilt.length) this.pushRebuilt(EK.LINE, f, e, 2, rebuilt);
      else this.pushEncoded(EK.LINE, f, 2, e.length - 2, true);
    } else {
      this.push(EK.LINE, f, line, null);
    }
  }

  /** pushEncoded, nested, of the items from `item` on, those at `rebuilt` given anew in `e`. */
  private pushRebuilt(kind: number, f: LiveFrame, e: unknown[], item: number, rebuilt: number[]) {
    const pieces: (number | string)[] = [];
    let from = itemStart(item);
    for (const i of rebuilt) {
      pieces.push(from, itemStart(i), (e[i] as Encoded).latin1);
      from = itemStart(i + 1);
    }
    pieces.push(from, this.srcEnd);
    this.block.addPieces(kind, this.cur!.thread, f.fid, f.depth, f.code, f.line, this.src, pieces, e.length - item, true);
    this.pushed();
  }

  /**
   * Name, value pairs from item `from` of `e` with each patch of a local's value (wire/patch.ts)
   * replaced by the value it makes of what `locals` holds; returns where (none: an empty list,
   * shared). A patch that does not fit what is held makes the value unreadable there, and the
   * recording says so: the agent sends patches only in a function's LINE events, of values it
   * sent before.
   */
  private unpatch(locals: Map<number, Value>, e: unknown[], from: number): number[] {
    let found = NONE;
    for (let i = from + 1; i < e.length; i += 2) {
      const v = e[i];
      if (!(v instanceof Encoded) || !isPatch(v.latin1)) continue;
      if (found === NONE) found = [];
      found.push(i);
      const base = locals.get(e[i - 1] as number);
      const whole = base instanceof Encoded ? applyPatch(base.latin1, v.latin1) : null;
      if (whole !== null) { e[i] = new Encoded(whole); continue; }
      e[i] = unreadable(e[i - 1] as number);
      if (!this.warnings.some((w) => w.code === 'patch-unmatched')) {
        this.warnings.push({ seq: this.seq, code: 'patch-unmatched', message: `the value of ${this.names[e[i - 1] as number] ?? 'a local'} could not be rebuilt from the stream (an agent error): from here it may show as unreadable` });
      }
    }
    return found;
  }

  /**
   * A call's arguments from item `from` of `e` that the agent gave as the caller's local
   * (T_CALLER: the same object, unchanged since the caller last gave it) replaced by the value
   * `caller` holds; returns where (none: an empty list, shared). One the caller does not hold
   * is unreadable there, and the recording says so (an error of the agent).
   */
  private fromCaller(caller: LiveFrame | undefined, e: unknown[], from: number): number[] {
    let found = NONE;
    for (let i = from + 1; i < e.length; i += 2) {
      const v = e[i];
      const name = v instanceof Encoded ? callerName(v.latin1) : null;
      if (name === null) continue;
      if (found === NONE) found = [];
      found.push(i);
      const held = caller?.locals.get(name);
      if (held instanceof Encoded && !isUnbound(held)) { e[i] = held; continue; }
      e[i] = unreadable(e[i - 1] as number);
      if (!this.warnings.some((w) => w.code === 'caller-unmatched')) {
        this.warnings.push({ seq: this.seq, code: 'caller-unmatched', message: `an argument given as the caller's ${this.names[name] ?? 'local'} was not found there (an agent error): it shows as unreadable` });
      }
    }
    return found;
  }

  /** Name, value pairs from item `from` of `changes`. */
  private applyChanges(locals: Map<number, Value>, changes: unknown[], from = 0) {
    for (let i = from; i + 1 < changes.length; i += 2) {
      const name = changes[i] as number;
      const v = changes[i + 1] as Value;
      if (isUnbound(v)) locals.delete(name); else locals.set(name, v);
      this.varIdx.add(name);
    }
  }

  private globalsOf(module: number): Map<number, Value> {
    let g = this.globals.get(module);
    if (!g) this.globals.set(module, (g = new Map()));
    return g;
  }

  /** The current frame's last line changed globals of `module` (a function's `global x`, `CACHE[k] = v`). */
  private globalsChange(module: number, changes: unknown[]) {
    const t = this.thr();
    const f = t.stack[t.stack.length - 1];
    const globals = this.globalsOf(module);
    this.unpatch(globals, changes, 0); // (written whole below, through msgpackr)
    this.applyChanges(globals, changes);
    this.globalsChanged.set(module, this.seq);
    this.push(EK.GLOBALS, f, f?.line ?? 0, [changes, module]);
  }

  /**
   * Recorded code runs on a thread whose pending exception had left every recorded frame: code
   * that is not recorded (a test runner, a library's `try`) caught it.
   */
  private caughtOutside(t: ThreadState) {
    if (!this.pendingExc.size) return;
    const pending = this.pendingExc.get(t.thread);
    if (pending && pending.frame === 0) this.settle(t.thread, pending.rec, true);
  }

  /** `e`: the wire event, its arguments from item 3. */
  private call(fid: number, codeId: number, e: unknown[]) {
    const t = this.thr();
    this.caughtOutside(t);
    const parent = t.stack[t.stack.length - 1];
    const code = this.codes[codeId];
    const f: LiveFrame = {
      fid, code: codeId, tid: t.thread, parent: parent?.fid ?? 0, depth: t.stack.length + 1, start: this.seq, line: code.firstLine,
      locals: sharesGlobals(code) ? this.globalsOf(code.module!) : new Map(), entered: this.seq, runs: false, ran: null, running: true, changed: this.seq,
    };
    const given = this.fromCaller(parent, e, 3);
    const patched = this.unpatch(f.locals, e, 3);
    const rebuilt = !given.length ? patched : !patched.length ? given : [...given, ...patched].sort((a, b) => a - b);
    this.applyChanges(f.locals, e, 3);
    t.stack.push(f);
    this.framesWritten(this.w.beginFrame(fid));
    this.counts.calls++;
    this.counts.frames++;
    this.codeIdx.add(codeId);
    if (rebuilt.length) this.pushRebuilt(EK.CALL, f, e, 3, rebuilt);
    else this.pushEncoded(EK.CALL, f, 3, e.length - 3, true);
  }

  private resume(fid: number) {
    const t = this.thr();
    this.caughtOutside(t);
    const f = this.yielders.get(fid);
    if (!f || f.running) return;
    f.running = true;
    // What a snapshot holds of it (locals, line, depth) is as it was unless it resumes elsewhere:
    // a chain of `yield from` resumes whole at every item, and must not be written whole each time.
    if (f.depth !== t.stack.length + 1 || f.tid !== t.thread) f.changed = this.seq;
    f.depth = t.stack.length + 1;
    f.tid = t.thread;
    f.entered = this.seq;
    t.stack.push(f);
    this.push(EK.RESUME, f, f.line, null);
  }

  /**
   * A frame ends (or yields). `e`: the wire event, [RETURN or YIELD, value, out?] or [UNWIND,
   * out?]; out (true): into a caller that is not recorded.
   */
  private leave(kind: number, e: unknown[]) {
    const t = this.thr();
    const value = kind === EK.UNWIND ? undefined : e[1];
    const out = e[kind === EK.UNWIND ? 1 : 2] === true;
    const pending = this.pendingExc.size ? this.pendingExc.get(t.thread) : undefined;
    if (kind !== EK.UNWIND && pending && (pending.frame === 0 || pending.frame === t.stack.at(-1)?.fid)) {
      this.settle(t.thread, pending.rec, true); // its frame goes on normally: it was caught
    }
    const f = t.stack.pop();
    if (!f) return;
    const seq = this.seq;
    // Stored: the value (null for an unwind) if there is one or it goes out, then true if out.
    if (value !== undefined && e.length === (out ? 3 : 2)) this.pushEncoded(kind, f, 1, e.length - 1, false);
    else this.push(kind, f, f.line, value !== undefined || out ? (out ? [value ?? null, true] : [value]) : null);
    if (kind === EK.YIELD || f.runs) {
      if (!f.runs) this.yielders.set(f.fid, f);
      f.runs = true;
      this.ranTo(f, seq);
    }
    if (kind === EK.YIELD) f.running = false;
    else this.ended(f, seq, kind === EK.UNWIND ? 'unwind' : 'return');
    // Its frame exits through it (re-raised after a handler or `finally` too): the exception
    // moves to the caller, 0 for code that is not recorded, which may catch it.
    if (pending && kind === EK.UNWIND && (pending.frame === f.fid || pending.frame === 0)) {
      pending.frame = out ? 0 : t.stack[t.stack.length - 1]?.fid ?? 0;
      pending.handled = false;
    }
  }

  /** An exception's fate is known: caught (its frame went on, or code outside), or not. */
  private settle(thread: number, rec: ExceptionRecord, caught: boolean) {
    rec.caught = caught;
    if (rec.seq >= this.firstSeq) this.w.putException(rec);
    this.pendingExc.delete(thread);
  }

  /**
   * The fate of an exception still pending when the stream ends. One that left every recorded
   * frame was caught by code that is not recorded unless it is what ended the program (the main
   * thread's uncaught exception) or its thread (another thread's ends in threading's excepthook).
   */
  private caughtAtEnd(thread: number, p: PendingException): boolean {
    if (p.handled) return true;
    if (p.frame !== 0 || thread !== MAIN_THREAD || p.rec.type === 'SystemExit') return false;
    const u = this.end?.uncaught;
    return this.end !== null && !(u && u.type === p.rec.type && u.message === p.rec.message);
  }

  private frameRecord(f: LiveFrame, end: number | null, endKind: FrameRecord['endKind']): FrameRecord {
    const r: FrameRecord = { frame: f.fid, code: f.code, thread: f.tid, parent: f.parent, depth: f.depth, start: f.start, end, endKind };
    if (f.runs) r.yielded = true;
    return r;
  }

  private exception(type: string, message: string | null, propagated: boolean) {
    const t = this.thr();
    const f = t.stack[t.stack.length - 1];
    if (!f) return;
    const pending = this.pendingExc.get(t.thread);
    if (propagated && pending) {
      pending.frame = f.fid; // through code that is not recorded too: it did not catch it
      pending.handled = false;
    } else {
      // Another exception: the one before was caught if a handler had begun, or outside.
      if (pending) this.settle(t.thread, pending.rec, pending.handled || pending.frame === 0);
      const rec: ExceptionRecord = { seq: this.seq, thread: t.thread, frame: f.fid, type, message, propagated, caught: null };
      this.pendingExc.set(t.thread, { rec, frame: f.fid, handled: false });
      this.w.putException(rec);
      this.counts.exceptions++;
    }
    this.push(EK.EXCEPTION, f, f.line, [type, message, propagated]);
  }

  private output(stream: 1 | 2, text: string) {
    const t = this.thr();
    const f = t.stack[t.stack.length - 1];
    // print() and tracebacks write in many small pieces: consecutive writes from the same
    // place become one event (the last of its block).
    const o = this.pendingOutput;
    if (o && this.block.length && o.seq === this.seq - 1 && o.thread === t.thread && o.frame === (f?.fid ?? 0) && o.stream === stream) {
      o.text += text;
      this.block.replaceLastPayload([stream, o.text]);
      return;
    }
    this.flushOutput();
    this.pendingOutput = { seq: this.seq, stream, text, thread: t.thread, frame: f?.fid ?? 0 };
    this.counts.outputs++;
    this.push(EK.OUTPUT, f, f?.line ?? 0, [stream, text]);
  }

  private flushOutput() {
    const o = this.pendingOutput;
    if (o && o.seq >= this.firstSeq) this.w.putOutput({ seq: o.seq, stream: o.stream, text: o.text });
    this.pendingOutput = null;
  }

  private flushBlock() {
    const b = this.blockNo;
    this.w.putBlock(b, this.block.finish(true)); // (copied into the batch at once)
    const bit = b % INDEX_GROUP;
    for (const file of this.lineFiles) {
      const lines = this.lineIdx[file];
      for (const line of lines.keys) {
        const lk = file * 4194304 + line;
        this.lineMasks.mark(lk, bit);
        const n = lines.count(line);
        this.lineRuns.set(lk, (this.lineRuns.get(lk) ?? 0) + n);
        if (this.windowed) {
          const lineRuns = this.intervals[this.intervals.length - 1].lineRuns;
          lineRuns.set(lk, (lineRuns.get(lk) ?? 0) + n);
        }
      }
      lines.clear();
    }
    this.lineFiles.length = 0;
    for (const name of this.varIdx.keys) this.varMasks.mark(name, bit);
    for (const code of this.codeIdx.keys) this.codeMasks.mark(code, bit);
    this.varIdx.clear();
    this.codeIdx.clear();
    this.blockNo++;
    if (this.blockNo % INDEX_GROUP === 0) this.flushIndexes();
    this.snapshotDue = this.blockNo % SNAPSHOT_EVERY === 0;
  }

  /** The index records of the group of blocks that ends (or of what there is of it, at the end). */
  private flushIndexes() {
    const g = Math.floor((this.blockNo - 1) / INDEX_GROUP);
    const iv = this.windowed ? this.intervals[this.intervals.length - 1] : null;
    const { lineMasks: lines, varMasks: vars, codeMasks: codes } = this;
    for (const lk of lines.keys) this.w.putLineIndex(Math.floor(lk / 4194304), lk % 4194304, g, lines.mask(lk));
    for (const name of vars.keys) this.w.putVarIndex(name, g, vars.mask(name));
    for (const code of codes.keys) this.w.putCodeIndex(code, g, codes.mask(code));
    if (iv) {
      for (const lk of lines.keys) iv.lineIndex.push(lk, g);
      for (const name of vars.keys) iv.varIndex.push(name, g);
      for (const code of codes.keys) iv.codeIndex.push(code, g);
    }
    lines.clear();
    vars.clear();
    codes.clear();
  }

  /** A snapshot interval begins: close the last one, then drop the oldest while over the limits. */
  private nextInterval() {
    const ivs = this.intervals;
    ivs[ivs.length - 1].bytes = this.w.bytes - this.bytesAtInterval;
    this.bytesAtInterval = this.w.bytes;
    ivs.push(newInterval(this.blockNo, this.seq));
    const { maxEvents, maxBytes } = this.limits;
    let bytes = 0;
    for (const iv of ivs) bytes += iv.bytes;
    // Always keep the last whole interval: a failure needs some history before it.
    while (ivs.length > 2) {
      const [old, next] = ivs;
      const overEvents = maxEvents != null && this.seq - next.seq >= maxEvents;
      const overBytes = maxBytes != null && bytes > maxBytes;
      if (!overEvents && !overBytes) break;
      this.drop(old, next);
      bytes -= old.bytes;
      this.droppedBytes += old.bytes;
      ivs.shift();
    }
    // Free the disk of what was dropped once it amounts to a good part of what is kept.
    if (this.droppedBytes > Math.max(bytes / 2, 1 << 20)) {
      this.w.compactDropped();
      this.droppedBytes = 0;
    }
  }

  private drop(old: Interval, next: Interval) {
    for (const [lk, n] of old.lineRuns) {
      const left = this.lineRuns.get(lk)! - n;
      if (left > 0) this.lineRuns.set(lk, left); else this.lineRuns.delete(lk);
    }
    this.w.dropInterval({
      blocks: [old.block, next.block], seqs: [old.seq, next.seq],
      lineIndex: pairs(old.lineIndex).map(([lk, g]) => [Math.floor(lk / 4194304), lk % 4194304, g]),
      varIndex: pairs(old.varIndex), codeIndex: pairs(old.codeIndex), frames: old.frames, runs: pairs(old.runs),
    });
    this.firstSeq = next.seq;
  }

  /**
   * The state at the start of this block. Within a cycle (DELTA_CYCLE), only what changed since
   * an earlier snapshot of the cycle: without that, a snapshot every SNAPSHOT_EVERY blocks would
   * cost the stack's depth each time. A flight recording drops old snapshots: its are all full.
   */
  private snapshot(): Snapshot | SnapshotDelta {
    const frame = (f: LiveFrame): SnapshotFrame => {
      // A module body's locals are its module's globals, which the snapshot holds once.
      const locals = sharesGlobals(this.codes[f.code]) ? [] : flat(f.locals);
      return { frame: f.fid, code: f.code, depth: f.depth, line: f.line, locals };
    };
    const globals = (since: number): GlobalsList => [...this.globals].filter(([m]) => this.globalsChanged.get(m)! >= since).map(([m, g]) => [m, flat(g)]);
    let onStack = 0;
    for (const t of this.threads.values()) onStack += t.stack.length;
    const suspended = [...this.yielders.values()].filter((f) => !f.running).sort((a, b) => a.fid - b.fid); // in the order they began
    const cycle = this.cycle;
    const i = cycle.length;
    if (i > 0 && i < DELTA_CYCLE && !this.windowed) {
      const base = cycle[i & (i - 1)];
      // A frame that was there at the base and has changed nothing since is as it was there; at
      // the bottom of a stack, such frames that have run since before the base are the base's
      // stack as it was (one that resumed since may be where another was).
      const same = (f: LiveFrame) => f.start < base.seq && f.changed < base.seq;
      let size = 0;
      const ref = (f: LiveFrame) => (same(f) ? f.fid : (size++, frame(f)));
      const threads = [...this.threads.values()].map((t) => {
        let keep = 0;
        while (keep < t.stack.length && same(t.stack[keep]) && t.stack[keep].entered < base.seq) keep++;
        return { thread: t.thread, keep, push: t.stack.slice(keep).map(ref) };
      });
      const delta: SnapshotDelta = { seq: this.seq, base: base.block, threads, suspended: suspended.map(ref), globals: globals(base.seq) };
      if (size * 2 <= onStack + suspended.length) {
        cycle.push({ block: this.blockNo, seq: this.seq });
        return delta;
      }
    }
    this.cycle = [{ block: this.blockNo, seq: this.seq }];
    return {
      seq: this.seq,
      threads: [...this.threads.values()].map((t) => ({ thread: t.thread, stack: t.stack.map(frame) })),
      suspended: suspended.map(frame),
      globals: globals(0),
    };
  }

  /** Writes everything still held and the metadata; `ending` says how the process ended. */
  async finish(ending: Ending, extra: { gitCommit: string | null }): Promise<Meta> {
    this.flushOutput();
    if (this.block.length) this.flushBlock();
    if (this.blockNo % INDEX_GROUP) this.flushIndexes();
    for (const [thread, p] of [...this.pendingExc]) this.settle(thread, p.rec, this.caughtAtEnd(thread, p));
    for (const t of this.threads.values()) {
      for (const f of t.stack) {
        if (f.runs) this.ranTo(f, null); // its run goes on to the end
        this.w.endFrame(this.frameRecord(f, null, null));
      }
    }
    this.writeRuns();
    for (const f of this.yielders.values()) if (!f.running) this.w.endFrame(this.frameRecord(f, null, null));
    this.w.endFrames();
    for (const [lk, n] of this.lineRuns) this.w.putLineRuns(Math.floor(lk / 4194304), lk % 4194304, n);
    this.w.putNames(this.names);
    this.w.putCodes(this.codes);
    this.w.putThreads([...this.threads.values()].map(({ stack, ...t }) => t));
    this.counts.files = this.fileCount;
    const h = this.hello;
    const meta: Meta = {
      format: FORMAT_VERSION,
      finished: true,
      argv: (h.argv as string[]) ?? [],
      cwd: (h.cwd as string) ?? '',
      python: (h.python as string) ?? '',
      implementation: (h.implementation as string) ?? '',
      platform: (h.platform as string) ?? '',
      backend: (h.backend as string) ?? '',
      accelerator: typeof h.accelerator === 'string' ? h.accelerator : undefined,
      pid: (h.pid as number) ?? 0,
      start: typeof h.start === 'number' ? h.start : h.start instanceof PyFloat ? h.start.value : this.started,
      end: ending.end !== undefined ? ending.end : Date.now() / 1000,
      exitStatus: ending.exitStatus ?? this.end?.status ?? null,
      signal: ending.signal,
      uncaught: this.end?.uncaught ?? null,
      truncated: ending.truncated || this.leftover,
      gitCommit: extra.gitCommit,
      counts: this.counts,
      agentVersion: 1,
    };
    if (ending.inProgress) meta.inProgress = true;
    if (this.windowed) meta.window = { ...this.limits, firstSeq: this.firstSeq };
    if (this.warnings.length) meta.warnings = this.warnings;
    if (h.env && typeof h.env === 'object') meta.env = h.env as Record<string, string | null>;
    this.w.putMeta(meta);
    await this.w.flush(true);
    return meta;
  }
}

function newInterval(block: number, seq: number): Interval {
  return { block, seq, bytes: 0, lineIndex: [], varIndex: [], codeIndex: [], lineRuns: new Map(), frames: [], runs: [] };
}

/** A map as [key, value, key, value, ...]. */
function flat<K, V>(m: Map<K, V>): unknown[] {
  const out: unknown[] = [];
  for (const [k, v] of m) out.push(k, v);
  return out;
}

function pairs(flat: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

/**
 * How often each key (a small non-negative integer: a line, a name, a code) came up in a block,
 * in a typed array: a Map updated at every event was a tenth of indexing.
 */
class Tally {
  private n = new Int32Array(64);
  /** The keys counted, in the order first seen. */
  readonly keys: number[] = [];

  get size(): number { return this.keys.length; }

  add(k: number) {
    if (k >= this.n.length) {
      const grown = new Int32Array(Math.max(k + 1, 2 * this.n.length));
      grown.set(this.n);
      this.n = grown;
    }
    if (this.n[k]++ === 0) this.keys.push(k);
  }

  count(k: number): number { return this.n[k]; }

  clear() {
    for (const k of this.keys) this.n[k] = 0;
    this.keys.length = 0;
  }
}

/** Bit masks by key (a small non-negative integer, or a file and line), as Tally counts. */
class Masks {
  private m = new Map<number, number>();
  /** The keys marked, in the order first seen. */
  readonly keys: number[] = [];

  mark(k: number, bit: number) {
    const was = this.m.get(k);
    if (was === undefined) this.keys.push(k);
    this.m.set(k, (was ?? 0) | (1 << bit));
  }

  mask(k: number): number { return this.m.get(k)!; }

  clear() {
    this.m.clear();
    this.keys.length = 0;
  }
}
