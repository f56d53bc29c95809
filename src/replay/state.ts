// The full state at any point of a recording: every thread's stack, each frame with its line
// and locals. Starts from the snapshot at or before the point and applies at most
// SNAPSHOT_EVERY * BLOCK events, so the work is bounded whatever the recording's length.
// Module globals are kept per module; a module body's frame has its module's as its locals.
import type { WireValue } from '../wire/protocol.js';
import { BLOCK, EK, SNAPSHOT_EVERY, sharesGlobals, type CodeRecord, type Recording, type SnapshotFrame, type StoredEvent } from '../store/store.js';
import { T } from '../wire/protocol.js';

/** `globals`: its module's, where the recording has them (format 4 on, code that runs in a module's namespace). */
export interface LiveFrame { frame: number; code: number; depth: number; line: number; locals: Map<number, WireValue>; globals?: Map<number, WireValue> }
export interface ProgramState {
  seq: number;
  thread: number; // the thread of the event at seq
  threads: Map<number, LiveFrame[]>; // outermost frame first
  suspended: Map<number, LiveFrame>;
  globals: Map<number, Map<number, WireValue>>; // module name id -> its globals
  codes: CodeRecord[];
}

function toMap(flat: unknown[]): Map<number, WireValue> {
  const m = new Map<number, WireValue>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i] as number, flat[i + 1] as WireValue);
  return m;
}

/** The globals of `module` in a state (created empty the first time). */
export function globalsOf(state: ProgramState, module: number): Map<number, WireValue> {
  let g = state.globals.get(module);
  if (!g) state.globals.set(module, (g = new Map()));
  return g;
}

/** A new live frame: a module body's locals are its module's globals. */
function newFrame(state: ProgramState, frame: number, code: number, depth: number, line: number, locals: unknown[]): LiveFrame {
  const c = state.codes[code];
  const globals = c?.module === undefined ? undefined : globalsOf(state, c.module);
  return { frame, code, depth, line, locals: sharesGlobals(c) ? globals! : toMap(locals), globals };
}

const fromSnapshot = (state: ProgramState, f: SnapshotFrame): LiveFrame => newFrame(state, f.frame, f.code, f.depth, f.line, f.locals);

/** Applies a line event's changes ([name, value, ...]) to a frame's locals; UNBOUND deletes. */
export function applyChanges(locals: Map<number, WireValue>, changes: unknown[]) {
  for (let i = 0; i + 1 < changes.length; i += 2) {
    const v = changes[i + 1] as WireValue;
    if (Array.isArray(v) && v[0] === T.UNBOUND) locals.delete(changes[i] as number);
    else locals.set(changes[i] as number, v);
  }
}

/** Applies one stored event to a state (the same rules the recorder used to build it). */
export function apply(state: ProgramState, seq: number, e: StoredEvent) {
  const [kind, thread, frame, depth, code, line] = e;
  let stack = state.threads.get(thread);
  if (!stack) state.threads.set(thread, (stack = []));
  state.seq = seq;
  state.thread = thread;
  switch (kind) {
    case EK.CALL: {
      const f = newFrame(state, frame, code, depth, line, []);
      applyChanges(f.locals, (e[6] as unknown[]) ?? []);
      stack.push(f);
      return;
    }
    case EK.GLOBALS: applyChanges(globalsOf(state, e[7] as number), e[6] as unknown[]); return;
    case EK.RESUME: {
      const f = state.suspended.get(frame) ?? newFrame(state, frame, code, depth, line, []);
      state.suspended.delete(frame);
      f.depth = depth;
      stack.push(f);
      return;
    }
    case EK.LINE: {
      const f = stack[stack.length - 1];
      if (!f) return;
      f.line = line;
      if (e[6]) applyChanges(f.locals, e[6] as unknown[]);
      return;
    }
    case EK.RETURN: case EK.UNWIND: case EK.YIELD: {
      const f = stack.pop();
      if (f && kind === EK.YIELD) state.suspended.set(f.frame, f);
      return;
    }
  }
}

/** The state just after the event `seq` (for a line event: as the line is about to run). */
export async function stateAt(rec: Recording, seq: number): Promise<ProgramState> {
  const { snapshot, first, blocks } = await rec.interval(Math.floor(seq / BLOCK));
  const state: ProgramState = { seq: 0, thread: 1, threads: new Map(), suspended: new Map(), globals: new Map(), codes: rec.codes };
  if (snapshot) {
    for (const [m, g] of snapshot.globals ?? []) state.globals.set(m, toMap(g));
    for (const t of snapshot.threads) state.threads.set(t.thread, t.stack.map((f) => fromSnapshot(state, f)));
    for (const f of snapshot.suspended) state.suspended.set(f.frame, fromSnapshot(state, f));
  }
  applyBlocks(state, first, blocks, snapshot?.seq ?? 0, seq);
  return state;
}

/** Applies events from..to (inclusive) to a state. */
async function applyRange(rec: Recording, state: ProgramState, from: number, to: number) {
  const first = Math.floor(from / BLOCK);
  applyBlocks(state, first, await rec.blockRange(first, Math.floor(to / BLOCK)), from, to);
}

/** Applies the events from..to (inclusive) of `blocks`, which start with block `first`. */
function applyBlocks(state: ProgramState, first: number, blocks: StoredEvent[][], from: number, to: number) {
  for (let b = first; b < first + blocks.length; b++) {
    const events = blocks[b - first];
    const lo = Math.max(from - b * BLOCK, 0), hi = Math.min(to - b * BLOCK, events.length - 1);
    for (let i = lo; i <= hi; i++) apply(state, b * BLOCK + i, events[i]);
  }
}

/**
 * States at a series of points, cheaply when they go forwards: the state is carried from one
 * point to the next by applying the events between, and rebuilt from a snapshot only when
 * the next point lies behind or further ahead than a snapshot interval.
 */
export class StateWalker {
  private state: ProgramState | null = null;

  constructor(private rec: Recording) {}

  /** The state after event `seq`. Valid until the next call. */
  async at(seq: number): Promise<ProgramState> {
    const s = this.state;
    if (s && seq >= s.seq && seq - s.seq <= SNAPSHOT_EVERY * BLOCK) {
      if (seq > s.seq) await applyRange(this.rec, s, s.seq + 1, seq);
      return s;
    }
    return (this.state = await stateAt(this.rec, seq));
  }

  /**
   * The state after event `seq` of block `b`, whose `events` the caller holds, if the walker has
   * applied everything before that block and nothing after seq: then without a read or a
   * promise (a scan over a hot line asks at every hit). Else null: ask at().
   */
  advance(b: number, events: StoredEvent[], seq: number): ProgramState | null {
    const s = this.state;
    if (!s || s.seq < b * BLOCK - 1 || s.seq > seq) return null;
    for (let i = s.seq + 1 - b * BLOCK; i <= seq - b * BLOCK; i++) apply(s, b * BLOCK + i, events[i]);
    return s;
  }
}

/** The live (or suspended) frame `fid` in a state. */
export function frameIn(state: ProgramState, fid: number): LiveFrame | undefined {
  for (const stack of state.threads.values()) for (const f of stack) if (f.frame === fid) return f;
  return state.suspended.get(fid);
}
