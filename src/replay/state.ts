// The full state at any point of a recording: every thread's stack, each frame with its line
// and locals. Starts from the snapshot at or before the point and applies at most
// SNAPSHOT_EVERY * BLOCK events, so the work is bounded whatever the recording's length.
import type { WireValue } from '../wire/protocol.js';
import { BLOCK, EK, SNAPSHOT_EVERY, type Recording, type SnapshotFrame, type StoredEvent } from '../store/store.js';
import { T } from '../wire/protocol.js';

export interface LiveFrame { frame: number; code: number; depth: number; line: number; locals: Map<number, WireValue> }
export interface ProgramState {
  seq: number;
  thread: number; // the thread of the event at seq
  threads: Map<number, LiveFrame[]>; // outermost frame first
  suspended: Map<number, LiveFrame>;
}

const fromSnapshot = (f: SnapshotFrame): LiveFrame => {
  const locals = new Map<number, WireValue>();
  for (let i = 0; i + 1 < f.locals.length; i += 2) locals.set(f.locals[i] as number, f.locals[i + 1] as WireValue);
  return { frame: f.frame, code: f.code, depth: f.depth, line: f.line, locals };
};

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
      const f: LiveFrame = { frame, code, depth, line, locals: new Map() };
      const args = (e[6] as unknown[]) ?? [];
      for (let i = 0; i + 1 < args.length; i += 2) f.locals.set(args[i] as number, args[i + 1] as WireValue);
      stack.push(f);
      return;
    }
    case EK.RESUME: {
      const f = state.suspended.get(frame) ?? { frame, code, depth, line, locals: new Map() };
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
  const state: ProgramState = { seq: 0, thread: 1, threads: new Map(), suspended: new Map() };
  if (snapshot) {
    for (const t of snapshot.threads) state.threads.set(t.thread, t.stack.map(fromSnapshot));
    for (const f of snapshot.suspended) state.suspended.set(f.frame, fromSnapshot(f));
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
}

/** The live (or suspended) frame `fid` in a state. */
export function frameIn(state: ProgramState, fid: number): LiveFrame | undefined {
  for (const stack of state.threads.values()) for (const f of stack) if (f.frame === fid) return f;
  return state.suspended.get(fid);
}
