// A deliberately simple replayer for the property test: every event of `rewind dump --json`
// in memory, every command a linear scan from the cursor. Slow and obviously right; the
// indexed engine must agree with it.

export interface Ev {
  seq: number; kind: string; thread: number; frame: number; depth: number; file: string; line: number; function: string;
  changed?: Record<string, { type: string; repr: string }>;
  args?: Record<string, { type: string; repr: string }>;
  out?: true; // return, yield, unwind: back to code that is not recorded
  module?: string; // globals: whose globals changed; call: the frame's module
}

type Bp =
  | { id: number; kind: 'line'; file: string; line: number; cond: Cond | null; enabled: boolean }
  | { id: number; kind: 'function'; name: string; cond: Cond | null; enabled: boolean }
  | { id: number; kind: 'watch'; name: string; frame: number; enabled: boolean };

/** Conditions the property test uses: NAME OP INTEGER. */
export interface Cond { name: string; op: '>' | '==' | '<'; value: number }

export class LinearReplay {
  cursor: number;
  private bps: Bp[] = [];
  private nextId = 1;
  private frameStart = new Map<number, number>();
  private frameEnd = new Map<number, number>();
  private moduleOf = new Map<number, string>(); // frame -> the module whose globals it has
  private moduleBody = new Set<number>(); // frames whose locals are their module's globals

  constructor(readonly events: Ev[]) {
    for (const e of events) {
      if (e.kind === 'call') this.frameStart.set(e.frame, e.seq);
      if (e.kind === 'call' && e.module) {
        this.moduleOf.set(e.frame, e.module);
        if (e.function === '<module>') this.moduleBody.add(e.frame);
      }
      if (e.kind === 'return' || e.kind === 'unwind') this.frameEnd.set(e.frame, e.seq);
    }
    this.cursor = events.find((e) => e.kind === 'line')!.seq;
  }

  /** `name` in `frame` after event seq, as "type:repr": its local binding, scanning back, else its module's global. */
  private value(frame: number, name: string, seq: number): string {
    const module = this.moduleOf.get(frame);
    if (!this.moduleBody.has(frame)) {
      for (let s = seq; s >= 0; s--) {
        const e = this.events[s];
        if (e.frame !== frame) continue;
        const v = e.kind === 'line' ? e.changed?.[name] : e.kind === 'call' ? e.args?.[name] : undefined;
        if (v && v.type !== 'unbound') return `${v.type}:${v.repr}`;
        if (v || e.kind === 'call') break;
      }
    }
    return module === undefined ? '<none>' : this.globalValue(module, name, seq);
  }

  /** The global `name` of `module` after event seq: set by a globals event or by a line of the module's body. */
  private globalValue(module: string, name: string, seq: number): string {
    for (let s = seq; s >= 0; s--) {
      const v = this.globalChange(this.events[s], name);
      if (v && v.module === module) return v.value.type === 'unbound' ? '<none>' : `${v.value.type}:${v.value.repr}`;
    }
    return '<none>';
  }

  /** The change event e makes to a global called `name`, if it makes one. */
  private globalChange(e: Ev, name: string): { module: string; value: { type: string; repr: string } } | null {
    const v = e.changed?.[name];
    if (!v) return null;
    if (e.kind === 'globals') return { module: e.module!, value: v };
    if (e.kind === 'line' && this.moduleBody.has(e.frame)) return { module: this.moduleOf.get(e.frame)!, value: v };
    return null;
  }

  /**
   * Every binding of a local called `name`: the event where it shows, the line that made it
   * (the frame's previous line; for an argument, the caller's line), the old and new repr.
   */
  history(name: string): { seq: number; frame: number; changedBy: number | null; old: string | null; new: string }[] {
    const out = [];
    const last = new Map<number | string, string>(); // frame, or a module's globals
    for (const e of this.events) {
      const v = e.kind === 'line' || e.kind === 'globals' ? e.changed?.[name] : e.kind === 'call' ? e.args?.[name] : undefined;
      if (!v) continue;
      let by: number | null = null;
      for (let s = e.seq - 1; s >= 0 && by === null; s--) {
        const l = this.events[s];
        if (l.kind === 'line' && l.thread === e.thread && (e.kind !== 'call' ? l.frame === e.frame : l.depth < e.depth)) by = s;
      }
      const g = this.globalChange(e, name);
      const owner = g ? `globals of ${g.module}` : e.frame;
      out.push({ seq: e.seq, frame: e.frame, changedBy: by, old: last.get(owner) ?? null, new: v.repr });
      last.set(owner, v.repr);
    }
    return out;
  }

  private get cur(): Ev { return this.events[this.cursor]; }

  private scan(dir: 1 | -1, from: number, ok: (e: Ev) => boolean): number | null {
    for (let s = from + dir; s >= 0 && s < this.events.length; s += dir) {
      const e = this.events[s];
      if (e.kind === 'line' && ok(e)) return s;
    }
    return null;
  }

  private arrive(seq: number | null, dir: 1 | -1, thread?: number): { seq: number; stop?: string } {
    if (seq !== null) { this.cursor = seq; return { seq }; }
    const edge = this.scan(dir > 0 ? -1 : 1, dir > 0 ? this.events.length : -1, (e) => thread === undefined || e.thread === thread);
    if (edge !== null) this.cursor = edge;
    return { seq: this.cursor, stop: dir > 0 ? 'end' : 'start' };
  }

  step(dir: 1 | -1) {
    const t = this.cur.thread;
    return this.arrive(this.scan(dir, this.cursor, (e) => e.thread === t), dir, t);
  }

  next(dir: 1 | -1) {
    const { thread, frame, depth } = this.cur;
    const run = this.outsideRun();
    const seq = this.scan(dir, this.cursor, (e) => e.thread === thread && (e.frame === frame || e.depth < depth));
    if (run && (seq === null || seq < run[0] || seq > run[1])) return this.edgeOfRun(run, dir);
    return this.callerLeft(dir, thread, depth, seq) ?? this.arrive(seq, dir, thread);
  }

  finish(dir: 1 | -1) {
    const { thread, depth } = this.cur;
    const run = this.outsideRun();
    if (run) return this.edgeOfRun(run, dir);
    const seq = this.scan(dir, this.cursor, (e) => e.thread === thread && e.depth < depth);
    return this.callerLeft(dir, thread, depth, seq) ?? this.arrive(seq, dir, thread);
  }

  /** Forwards: a caller went back to code that is not recorded before the line found: stop at its last line. */
  private callerLeft(dir: 1 | -1, thread: number, depth: number, found: number | null) {
    if (dir < 0) return null;
    const limit = found ?? this.events.length;
    for (let s = this.cursor + 1; s < limit; s++) {
      const e = this.events[s];
      if (e.thread === thread && e.depth < depth && e.out) return this.edge(e.frame, s, 1);
    }
    return null;
  }

  /** The cursor's frame's run (call or resume to return, yield or unwind), if it ended back in code that is not recorded. */
  private outsideRun(): [number, number] | null {
    const { frame } = this.cur;
    const mine = (s: number, kinds: string[]) => this.events[s].frame === frame && kinds.includes(this.events[s].kind);
    let end = this.cursor;
    while (end < this.events.length && !mine(end, ['return', 'yield', 'unwind'])) end++;
    if (end >= this.events.length || !this.events[end].out) return null;
    let start = this.cursor;
    while (start > 0 && !mine(start, ['call', 'resume'])) start--;
    return [start, end];
  }

  /** The run's last line (forwards) or first (backwards): next and finish stop there. */
  private edgeOfRun([start, end]: [number, number], dir: 1 | -1) {
    return this.edge(this.cur.frame, dir > 0 ? end : start, dir);
  }

  /** The frame's line next to its run's edge at `seq`; 'end' / 'start' where its thread runs no line beyond. */
  private edge(frame: number, seq: number, dir: 1 | -1) {
    const { thread } = this.events[seq];
    const line = this.scan(dir > 0 ? -1 : 1, seq, (e) => e.frame === frame);
    if (line !== null) this.cursor = line;
    const beyond = this.scan(dir, seq, (e) => e.thread === thread);
    return { seq: this.cursor, stop: beyond !== null ? 'outside' : dir > 0 ? 'end' : 'start' };
  }

  goto(seq: number) {
    const e = this.events[seq];
    if (e.kind === 'line') { this.cursor = seq; return { seq }; }
    const before = this.scan(-1, seq + 1, (l) => l.thread === e.thread);
    this.cursor = before ?? this.scan(1, seq, (l) => l.thread === e.thread)!;
    return { seq: this.cursor };
  }

  breakLine(file: string, line: number, cond: Cond | null) {
    this.bps.push({ id: this.nextId++, kind: 'line', file, line, cond, enabled: true });
  }

  breakFunction(name: string, cond: Cond | null) {
    this.bps.push({ id: this.nextId++, kind: 'function', name, cond, enabled: true });
  }

  watch(name: string) {
    this.bps.push({ id: this.nextId++, kind: 'watch', name, frame: this.cur.frame, enabled: true });
  }

  delete(id: number) { this.bps = this.bps.filter((b) => b.id !== id); }
  ids(): number[] { return this.bps.map((b) => b.id); }

  private holds(c: Cond | null, e: Ev): boolean {
    if (!c) return true;
    const v = this.value(e.frame, c.name, e.seq);
    const type = v.slice(0, v.indexOf(':')), repr = v.slice(v.indexOf(':') + 1);
    if (!['int', 'float', 'bool'].includes(type)) return false;
    const x = type === 'bool' ? (repr === 'True' ? 1 : 0) : Number(repr);
    return c.op === '>' ? x > c.value : c.op === '<' ? x < c.value : x === c.value;
  }

  private isFirstLine(e: Ev): boolean {
    const prev = this.scan(-1, e.seq, (l) => l.frame === e.frame);
    return prev === null || prev < (this.frameStart.get(e.frame) ?? -1);
  }

  /** A watch's value "at" seq: inside the frame's life, clamped to its start. */
  private watchValue(b: Bp & { kind: 'watch' }, seq: number): string {
    return this.value(b.frame, b.name, Math.max(seq, this.frameStart.get(b.frame)!));
  }

  cont(dir: 1 | -1) {
    let best: number | null = null;
    for (const b of this.bps) {
      if (!b.enabled) continue;
      let hit: number | null = null;
      if (b.kind === 'watch') hit = dir > 0 ? this.watchForward(b) : this.watchBackward(b);
      else {
        hit = this.scan(dir, this.cursor, (e) =>
          (b.kind === 'line' ? e.file === b.file && e.line === b.line : e.function.split('.').pop() === b.name && this.isFirstLine(e)) && this.holds(b.cond, e));
      }
      if (hit !== null && (best === null || (dir > 0 ? hit < best : hit > best))) best = hit;
    }
    return this.arrive(best, dir);
  }

  /** Can event e change what the watch reads: a line of its frame, or its module's globals? */
  private watched(b: Bp & { kind: 'watch' }, e: Ev): boolean {
    return e.kind === 'line' ? e.frame === b.frame : e.kind === 'globals' && e.module === this.moduleOf.get(b.frame);
  }

  private watchForward(b: Bp & { kind: 'watch' }): number | null {
    const end = this.frameEnd.get(b.frame) ?? this.events.length - 1;
    let old = this.watchValue(b, this.cursor);
    for (let s = Math.max(this.cursor, this.frameStart.get(b.frame)!) + 1; s <= end; s++) {
      const e = this.events[s];
      if (!this.watched(b, e)) continue;
      const now = this.value(b.frame, b.name, s);
      if (now !== old) {
        if (e.kind === 'line') return s;
        // A global changed by some function: right after, where its thread next runs a line.
        const on = (l: Ev) => l.thread === e.thread;
        return this.scan(1, s, on) ?? this.scan(-1, s, on) ?? s;
      }
      old = now;
    }
    return null;
  }

  private watchBackward(b: Bp & { kind: 'watch' }): number | null {
    const start = this.frameStart.get(b.frame)!;
    const end = this.frameEnd.get(b.frame) ?? this.events.length - 1;
    for (let s = Math.min(this.cursor, end); s > start; s--) {
      const e = this.events[s];
      if (!this.watched(b, e)) continue;
      if (this.value(b.frame, b.name, s) !== this.value(b.frame, b.name, s - 1)) {
        return this.scan(-1, s, (l) => l.frame === e.frame) ?? s;
      }
    }
    return null;
  }
}
