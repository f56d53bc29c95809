// Walking one thread's events forwards or backwards, skipping whole calls that cannot hold
// what is looked for. A frame's run (call or resume to return, yield or unwind) holds only
// events at its depth or deeper, so a walk that wants a line at a smaller depth jumps over it
// using the frame record instead of reading it: stepping over a call of a million events
// reads two blocks, not four thousand.
import { BLOCK, EK, type Recording, type StoredEvent } from '../store/store.js';

export type Dir = 1 | -1;

/** Where a frame stands, as a walk passes its events: running, suspended (yielded) or not alive. */
type Status = 'live' | 'suspended' | 'dead';

export interface Walk {
  from: number; // exclusive: the walk starts next to it
  dir: Dir;
  thread?: number; // only this thread's events (all threads if absent; nothing is skipped then)
  /** Runs of frames at this depth or deeper may be skipped (the accepted lines are shallower, or the anchor's). */
  skipDepth?: number;
  /** A frame whose own lines are accepted at any depth: runs are not skipped while it is suspended, since it may resume inside them. */
  anchor?: number;
  anchorStatus?: Status;
  /** A non-line event that ends the walk: it then returns null and sets `halted` to its seq. */
  halt?: (e: StoredEvent) => boolean;
  halted?: number;
}

export class Timeline {
  readonly first: number;
  readonly last: number;

  constructor(readonly rec: Recording) {
    this.first = rec.firstSeq;
    this.last = rec.eventCount - 1;
  }

  async event(seq: number): Promise<StoredEvent | undefined> {
    return seq < this.first || seq > this.last ? undefined : this.rec.event(seq);
  }

  /** The seq of the event that ended the run of `fid` begun at `start` (this.last if it never ended). */
  async runEnd(fid: number, start: number): Promise<number> {
    const run = await this.rec.runAt(fid, start);
    if (run) return run[0] === start ? run[1] ?? this.last : start;
    const f = await this.rec.frame(fid);
    return f ? f.end ?? this.last : start;
  }

  /** The seq of the call or resume that began the run of `fid` ended at `end`. */
  async runStart(fid: number, end: number): Promise<number> {
    const run = await this.rec.runAt(fid, end);
    if (run) return run[1] === end ? run[0] : end;
    const f = await this.rec.frame(fid);
    return f ? f.start : end;
  }

  /** The run of `fid` that holds `seq`: [start, end]. */
  async runAround(fid: number, seq: number): Promise<[number, number]> {
    const run = await this.rec.runAt(fid, seq);
    if (run && seq <= (run[1] ?? this.last)) return [run[0], run[1] ?? this.last];
    const f = await this.rec.frame(fid);
    if (!f) return [seq, seq];
    return [f.start, f.end ?? this.last];
  }

  /** The first line event in the walk's direction that `accept` takes, or null at the recording's end. */
  async walk(w: Walk, accept: (seq: number, e: StoredEvent) => boolean): Promise<number | null> {
    const { dir, thread, anchor } = w;
    const skipDepth = thread === undefined ? Infinity : w.skipDepth ?? Infinity;
    let status: Status = w.anchorStatus ?? 'live';
    let seq = w.from + dir;
    while (seq >= this.first && seq <= this.last) {
      const b = Math.floor(seq / BLOCK);
      const events = await this.rec.block(b);
      if (!events.length) return null;
      let jump: StoredEvent | null = null;
      for (let i = seq - b * BLOCK; i >= 0 && i < events.length; i += dir, seq += dir) {
        const e = events[i];
        if (thread !== undefined && e[1] !== thread) continue;
        const kind = e[0];
        if (kind === EK.LINE) {
          if (accept(seq, e)) return seq;
          continue;
        }
        if (kind === EK.EXCEPTION || kind === EK.OUTPUT || kind === EK.GLOBALS) continue;
        if (w.halt?.(e)) { w.halted = seq; return null; }
        if (e[2] === anchor) {
          status = dir > 0
            ? kind === EK.YIELD ? 'suspended' : kind === EK.CALL || kind === EK.RESUME ? 'live' : 'dead'
            : kind === EK.CALL ? 'dead' : kind === EK.RESUME ? 'suspended' : 'live';
          continue;
        }
        const starts = kind === EK.CALL || kind === EK.RESUME;
        if (e[3] >= skipDepth && status !== 'suspended' && starts === dir > 0) { jump = e; break; }
      }
      if (jump) {
        // Most runs are short and end in this block: look there before reading the frame record.
        const edge = runEdgeIn(events, seq - b * BLOCK, dir);
        if (edge >= 0) seq = b * BLOCK + edge + dir;
        else seq = dir > 0 ? (await this.runEnd(jump[2], seq)) + 1 : (await this.runStart(jump[2], seq)) - 1;
      } else if (events.length < BLOCK && dir > 0) return null;
    }
    return null;
  }
}

/**
 * The index, in `events`, of the other end of the run that starts (dir 1) or ends (dir -1) at
 * index `at`: the first event of that frame that ends (begins) a run. -1 if not in `events`.
 */
function runEdgeIn(events: StoredEvent[], at: number, dir: Dir): number {
  const frame = events[at][2];
  for (let k = at + dir; k >= 0 && k < events.length; k += dir) {
    const e = events[k];
    if (e[2] !== frame) continue;
    const kind = e[0];
    if (dir > 0 ? kind === EK.RETURN || kind === EK.UNWIND || kind === EK.YIELD : kind === EK.CALL || kind === EK.RESUME) return k;
  }
  return -1;
}
