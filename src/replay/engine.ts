// The replay engine: a cursor over a recording's line events that moves forwards and
// backwards, breakpoints and watchpoints set after the fact, and the queries around them.
// No printing and no UI: every frontend (batch CLI, terminal UI, IDE adapter) drives this.
//
// Nothing here scans a recording from its start: motions walk from the cursor and jump over
// calls (timeline.ts), breakpoints and watches read the line and variable indexes, and state
// comes from the nearest snapshot (state.ts).
import { BLOCK, EK, SNAPSHOT_EVERY, Recording, sharesGlobals, type StoredEvent } from '../store/store.js';
import { BlockView } from '../store/blockview.js';
import type { WireValue } from '../wire/protocol.js';
import { toJson, type JsonValue } from '../wire/values.js';
import { UserError } from '../errors.js';
import { Timeline, type Dir, type Walk } from './timeline.js';
import { testsIn, type TestRun } from './tests.js';
import { StateWalker, applyChanges, frameIn, stateAt, type LiveFrame, type ProgramState } from './state.js';
import { ExprError, evaluate, namesIn, parse, sameValue, test, type Node, type Scope } from './expr.js';

export type { Dir };

export type Stop = 'start' | 'end' | 'outside';

/** A local the program did not name: pytest's assertion rewriting makes `@py_assert1`... */
export const isTemporary = (name: string) => name.startsWith('@py_');

export interface Position { seq: number; thread: number; frame: number; depth: number; file: string; line: number; function: string }

export interface Move {
  pos: Position;
  /**
   * The motion stopped short: at an end of the recording (or of the thread), or ('outside') at
   * the edge of a frame whose caller is not recorded (a test function called by pytest).
   */
  stop?: Stop;
  breakpoint?: number; // the breakpoint that stopped a continue
  watch?: { id: number; expr: string; old: JsonValue; new: JsonValue };
  /** The exception whose raise stopped a continue (an exception breakpoint). */
  exception?: { type: string; message: string | null; caught: boolean | null; seq: number };
}

interface Condition { src: string; node: Node }
/** `ignore`: hits still to pass over (pdb's ignore), in whichever direction the motion goes. */
/**
 * `hits`: which hits stop, by their number in the recording (the Nth time the line ran, the Nth
 * call), as an IDE's hit condition: "5" or "==5", ">5", ">=5", "<5", "<=5", "%5".
 */
interface BreakBase { id: number; enabled: boolean; temporary: boolean; cond: Condition | null; ignore?: number; hits?: HitCondition }
interface HitCondition { src: string; ok: (n: number) => boolean }
export type Breakpoint =
  | (BreakBase & { kind: 'line'; file: number; path: string; line: number; ran: number; movedFrom?: number })
  | (BreakBase & { kind: 'function'; name: string; codes: number[] })
  | (BreakBase & { kind: 'watch'; expr: string; node: Node; names: number[]; frame: number; function: string; module?: number })
  /** Stops where an exception is raised: every one, or only those nothing caught. */
  | (BreakBase & { kind: 'exception'; uncaught: boolean });

export interface BreakpointJson {
  id: number; kind: 'line' | 'function' | 'watch' | 'exception'; enabled: boolean; temporary: boolean;
  location: string; condition?: string; hitCondition?: string; ran?: number; frame?: number; ignore?: number;
  /** A line breakpoint asked for on a line that runs no code, moved to the next that does. */
  movedFrom?: number;
}

export interface HistoryEntry {
  seq: number; thread: number; frame: number; function: string; name: string;
  changedBy: { seq: number; line: number } | null;
  old: JsonValue | null; new: JsonValue;
  /** the change is to a global of this module */
  module?: string;
}

export interface Hit { seq: number; thread: number; frame: number; line: number; function: string; locals: Record<string, JsonValue> }

/** Where a continue may stop, and why. */
interface Hit_ { seq: number; bp: Breakpoint; watch?: Move['watch']; exception?: Move['exception'] }

/** A value that could not be computed (for watches: "no value" is a state too). */
interface NoValue { error: string }
type Outcome = WireValue | NoValue;
const isNoValue = (v: Outcome): v is NoValue => v !== null && typeof v === 'object' && 'error' in v && !Array.isArray(v);

export class Engine {
  readonly tl: Timeline;
  private walker: StateWalker;
  private nameIds = new Map<string, number>();
  private paths = new Map<number, string>();
  private bps = new Map<number, Breakpoint>();
  private nextId = 1;
  private cursor = 0;
  private cursorEvent!: StoredEvent;
  private testRuns: TestRun[] | null = null;
  /** The selected frame, counted from the innermost (0); motions reset it. */
  private selected = 0;

  private constructor(readonly rec: Recording) {
    this.tl = new Timeline(rec);
    this.walker = new StateWalker(rec);
    rec.names.forEach((n, i) => { if (!this.nameIds.has(n)) this.nameIds.set(n, i); });
  }

  static async open(path: string): Promise<Engine> {
    const rec = await Recording.open(path);
    try {
      const e = new Engine(rec);
      e.paths = await rec.filePaths();
      const first = await e.tl.walk({ from: e.tl.first - 1, dir: 1 }, () => true);
      if (first === null) throw new UserError(`${path} holds no line events: there is nothing to replay.`, 'REWIND_EMPTY');
      await e.moveTo(first);
      return e;
    } catch (err) {
      await rec.close();
      throw err;
    }
  }

  close() { return this.rec.close(); }

  get seq(): number { return this.cursor; }

  /** The recorded files: id -> path. */
  get files(): ReadonlyMap<number, string> { return this.paths; }

  // ---- where the cursor is ----

  path(file: number): string { return this.paths.get(file) ?? `<file ${file}>`; }

  position(seq = this.cursor, e: StoredEvent = this.cursorEvent): Position {
    const c = this.rec.codes[e[4]];
    return { seq, thread: e[1], frame: e[2], depth: e[3], file: this.path(c?.file ?? -1), line: e[5], function: c?.qualname ?? '?' };
  }

  private async moveTo(seq: number) {
    this.cursor = seq;
    this.cursorEvent = (await this.tl.event(seq))!;
    this.selected = 0;
  }

  private async arrive(seq: number | null, dir: Dir, thread?: number): Promise<Move> {
    if (seq !== null) {
      await this.moveTo(seq);
      return { pos: this.position() };
    }
    // Nothing found: go to the last line event in that direction (of the thread, for steps).
    const edge = await this.tl.walk({ from: dir > 0 ? this.tl.last + 1 : this.tl.first - 1, dir: dir > 0 ? -1 : 1, thread }, () => true);
    if (edge !== null) await this.moveTo(edge);
    return { pos: this.position(), stop: dir > 0 ? 'end' : 'start' };
  }

  // ---- motions ----

  /** step / rstep: the next (previous) line event of this thread. */
  async step(dir: Dir): Promise<Move> {
    const thread = this.cursorEvent[1];
    return this.arrive(await this.tl.walk({ from: this.cursor, dir, thread }, () => true), dir, thread);
  }

  /** next / rnext: the next line of this frame or of a caller (calls are stepped over). */
  next(dir: Dir): Promise<Move> {
    return this.over(dir, () => true);
  }

  /**
   * until / runtil (pdb's until, both ways): as next, but in this frame only to a line past the
   * current one (before it, backwards), or to `line` and beyond: out of a loop in one motion.
   */
  until(dir: Dir, line?: number): Promise<Move> {
    const target = line ?? this.cursorEvent[5] + dir;
    return this.over(dir, (l) => (dir > 0 ? l >= target : l <= target));
  }

  /** The next line of this frame that `ownLine` takes, or of a caller (calls are stepped over). */
  private async over(dir: Dir, ownLine: (line: number) => boolean): Promise<Move> {
    const [, thread, frame, depth] = this.cursorEvent;
    const run = await this.cursorRun();
    const w: Walk = { from: this.cursor, dir, thread, skipDepth: depth, anchor: frame, halt: this.callerLeaves(depth, dir) };
    const seq = await this.tl.walk(w, (_, e) => (e[2] === frame && ownLine(e[5])) || e[3] < depth);
    if (run.outside && (seq === null || seq < run.start || seq > run.end)) return this.edgeOfRun(run, dir);
    if (w.halted !== undefined) return this.lastLineBefore(w.halted);
    return this.arrive(seq, dir, thread);
  }

  /** finish / rfinish: the next line in a caller; backwards, the line that made the call. */
  async finish(dir: Dir): Promise<Move> {
    const [, thread, frame, depth] = this.cursorEvent;
    const run = await this.cursorRun();
    if (run.outside) return this.edgeOfRun(run, dir);
    const w: Walk = { from: dir > 0 ? run.end : run.start, dir, thread, skipDepth: depth, halt: this.callerLeaves(depth, dir) };
    const seq = await this.tl.walk(w, (_, e) => e[3] < depth);
    if (w.halted !== undefined) return this.lastLineBefore(w.halted);
    return this.arrive(seq, dir, thread);
  }

  /**
   * The cursor's frame's run, and whether it went back to code that is not recorded (its
   * caller): there, next and finish stop at its last line, rnext and rfinish at its first.
   */
  private async cursorRun(): Promise<{ start: number; end: number; outside: boolean }> {
    const [start, end] = await this.tl.runAround(this.cursorEvent[2], this.cursor);
    const last = await this.tl.event(end);
    return { start, end, outside: last?.[2] === this.cursorEvent[2] && last[7] === true };
  }

  /**
   * Going forwards from a frame at `depth`: a caller's run ends, back to code that is not
   * recorded, before it runs another line (a test method whose exception unittest catches).
   * The lines after that are not a caller's.
   */
  private callerLeaves(depth: number, dir: Dir): ((e: StoredEvent) => boolean) | undefined {
    if (dir < 0) return undefined;
    return (e) => e[3] < depth && e[7] === true && (e[0] === EK.RETURN || e[0] === EK.UNWIND || e[0] === EK.YIELD);
  }

  /** The last line of the frame whose run ends at `seq`, as a stop at the edge of recorded code. */
  private async lastLineBefore(seq: number): Promise<Move> {
    const e = (await this.tl.event(seq))!;
    return this.edge(e[1], e[2], e[3], seq, 1);
  }

  private async edgeOfRun(run: { start: number; end: number }, dir: Dir): Promise<Move> {
    const [, thread, frame, depth] = this.cursorEvent;
    return this.edge(thread, frame, depth, dir > 0 ? run.end : run.start, dir);
  }

  /** The frame's nearest line from `seq` (exclusive) in direction `dir`, its callees skipped. */
  private frameLine(thread: number, frame: number, depth: number, seq: number, dir: Dir): Promise<number | null> {
    return this.tl.walk({ from: seq, dir, thread, skipDepth: depth + 1, anchor: frame }, (_, e) => e[2] === frame);
  }

  /**
   * Stops at the frame's line next to its run's edge at `seq` (the last before an end, dir 1;
   * the first after a start, dir -1): 'outside', or 'end' / 'start' where the thread runs no
   * line beyond it anyway (the program's own first frame).
   */
  private async edge(thread: number, frame: number, depth: number, seq: number, dir: Dir): Promise<Move> {
    const line = await this.frameLine(thread, frame, depth, seq, dir > 0 ? -1 : 1);
    if (line !== null) await this.moveTo(line);
    const beyond = await this.tl.walk({ from: seq, dir, thread }, () => true);
    return { pos: this.position(), stop: beyond !== null ? 'outside' : dir > 0 ? 'end' : 'start' };
  }

  /** continue / rcontinue: the nearest breakpoint hit or watched change, on any thread. */
  async cont(dir: Dir): Promise<Move> {
    for (;;) {
      const hit = await this.nearestHit(dir);
      if (!hit?.bp.ignore) return this.stopAtHit(hit, dir);
      hit.bp.ignore--; // passed over, as pdb's ignore: look again from there
      await this.moveTo(hit.seq);
    }
  }

  /** ignore N COUNT: the next COUNT hits of breakpoint N do not stop a continue. */
  ignoreBreak(id: number, count: number): Breakpoint {
    const b = this.bp(id);
    b.ignore = count;
    return b;
  }

  private async nearestHit(dir: Dir): Promise<Hit_ | null> {
    let best: Hit_ | null = null;
    for (const bp of this.bps.values()) {
      if (!bp.enabled) continue;
      const limit = best?.seq;
      let found: { seq: number; watch?: Move['watch']; exception?: Move['exception'] } | null;
      if (bp.kind === 'watch') found = await this.watchHit(bp, dir, limit);
      else if (bp.kind === 'exception') found = await this.exceptionHit(bp, dir, limit);
      else {
        const seq = await this.breakHit(bp, dir, limit);
        found = seq === null ? null : { seq };
      }
      if (found && (!best || (dir > 0 ? found.seq < best.seq : found.seq > best.seq) || (found.seq === best.seq && bp.id < best.bp.id))) {
        best = { seq: found.seq, bp, watch: found.watch, exception: found.exception };
      }
    }
    return best;
  }

  private async stopAtHit(best: Hit_ | null, dir: Dir): Promise<Move> {
    if (!best) return this.arrive(null, dir);
    await this.moveTo(best.seq);
    const move: Move = { pos: this.position() };
    if (best.watch) move.watch = best.watch;
    else move.breakpoint = best.bp.id;
    if (best.exception) move.exception = best.exception;
    if (best.bp.temporary) this.bps.delete(best.bp.id);
    return move;
  }

  /** goto SEQ: the line event at SEQ, or the line that was running when event SEQ happened. */
  async goto(seq: number): Promise<Move> {
    if (!Number.isInteger(seq) || seq < this.tl.first || seq > this.tl.last) {
      const dropped = seq >= 0 && seq < this.tl.first ? ' (the flight recorder dropped the earlier ones)' : '';
      throw new UserError(`there is no event ${seq}: the recording has ${this.rec.span}${dropped}.`);
    }
    const e = (await this.tl.event(seq))!;
    if (e[0] === EK.LINE) { await this.moveTo(seq); return { pos: this.position() }; }
    const line = (await this.tl.walk({ from: seq + 1, dir: -1, thread: e[1] }, () => true))
      ?? (await this.tl.walk({ from: seq, dir: 1, thread: e[1] }, () => true));
    if (line === null) throw new UserError(`event ${seq} is on a thread that ran no recorded line.`);
    await this.moveTo(line);
    return { pos: this.position() };
  }

  /** Makes `thread` the cursor's: its line at or before the cursor (its first, if it had not run yet). */
  async focusThread(thread: number): Promise<void> {
    if (thread === this.cursorEvent[1]) return;
    const seq = (await this.tl.walk({ from: this.cursor + 1, dir: -1, thread }, () => true))
      ?? (await this.tl.walk({ from: this.cursor, dir: 1, thread }, () => true));
    if (seq === null) throw new UserError(`thread ${thread} ran no recorded line.`);
    await this.moveTo(seq);
  }

  /** The first line frame `f` ran (restart frame, in an IDE). */
  async gotoFrameStart(f: LiveFrame): Promise<Move> {
    const fr = await this.rec.frame(f.frame);
    if (!fr) throw new UserError(`frame ${f.frame} is not in the recording.`);
    const start = Math.max(fr.start, this.tl.first); // a flight recording may have dropped its start
    const e = (await this.tl.event(start))!;
    const first = e[0] === EK.LINE && e[2] === f.frame ? start : await this.frameLine(fr.thread, f.frame, f.depth, start, 1);
    return this.goto(first ?? start);
  }

  async gotoEdge(dir: Dir): Promise<Move> {
    const seq = await this.tl.walk({ from: dir > 0 ? this.tl.last + 1 : this.tl.first - 1, dir: dir > 0 ? -1 : 1 }, () => true);
    await this.moveTo(seq!);
    return { pos: this.position() };
  }

  /** The tests of a recorded pytest or unittest run, in the order they started (tests.ts). */
  async tests(): Promise<TestRun[]> {
    return (this.testRuns ??= await testsIn(this.rec, (f) => this.path(f)));
  }

  /** goto test NAME: the first line of the first test whose name holds NAME. */
  async gotoTest(name: string): Promise<Move> {
    const runs = await this.tests();
    const t = runs.find((r) => r.name === name || r.function === name) ?? runs.find((r) => r.name.includes(name));
    if (!t) {
      throw new UserError(runs.length ? `no test named like '${name}' ran (${runs.length} did: rewind tests lists them).`
        : 'no test ran in this recording (tests are functions named test* called by pytest or unittest).');
    }
    const [, thread, frame, depth] = (await this.tl.event(t.start))!;
    return this.goto((await this.frameLine(thread, frame, depth, t.start, 1)) ?? t.start);
  }

  /** goto failure: where the first test that failed (or erred) raised what ended it. */
  async gotoFailure(): Promise<Move> {
    const t = (await this.tests()).find((r) => (r.outcome === 'failed' || r.outcome === 'error') && r.exception);
    if (!t) throw new UserError('no test failed in this recording.');
    return this.gotoRaise(t.exception!);
  }

  /** goto exception: where the uncaught exception was raised, else the last exception raised. */
  async gotoException(): Promise<Move> {
    let chosen = null;
    for await (const x of this.rec.exceptions()) if (!chosen || x.caught === false || chosen.caught !== false) chosen = x;
    if (!chosen) throw new UserError('no exception was raised in this recording.');
    return this.gotoRaise(chosen);
  }

  /** The line that raised an exception: its frame's line at or before the exception event. */
  private async gotoRaise(x: { seq: number; thread: number; frame: number }): Promise<Move> {
    return this.goto(await this.raiseLine(x));
  }

  private async raiseLine(x: { seq: number; thread: number; frame: number }): Promise<number> {
    const seq = await this.tl.walk(
      { from: x.seq + 1, dir: -1, thread: x.thread, anchor: x.frame, skipDepth: 1 },
      (_, e) => e[2] === x.frame,
    );
    return seq ?? x.seq;
  }

  /** The nearest raise (of an exception nothing caught, for `uncaught`) past the cursor, not past `limit`. */
  private async exceptionHit(bp: Breakpoint & { kind: 'exception' }, dir: Dir, limit?: number): Promise<{ seq: number; exception: Move['exception'] } | null> {
    // The raising line comes before its exception event: start looking a little before the cursor.
    for await (const x of this.rec.exceptionsFrom(dir > 0 ? this.cursor : this.cursor + 1, dir < 0)) {
      if (x.propagated || (bp.uncaught && x.caught !== false)) continue;
      const seq = await this.raiseLine(x);
      if (dir > 0 ? seq <= this.cursor : seq >= this.cursor) continue;
      if (limit !== undefined && (dir > 0 ? seq > limit : seq < limit)) return null;
      return { seq, exception: { type: x.type, message: x.message, caught: x.caught, seq: x.seq } };
    }
    return null;
  }

  /** break on exceptions: stop where one is raised (`uncaught`: one nothing caught). One of each kind. */
  breakOnExceptions(uncaught: boolean): Breakpoint {
    const old = [...this.bps.values()].find((b) => b.kind === 'exception' && b.uncaught === uncaught);
    if (old) return old;
    const bp: Breakpoint = { id: this.nextId++, enabled: true, temporary: false, cond: null, kind: 'exception', uncaught };
    this.bps.set(bp.id, bp);
    return bp;
  }

  // ---- state at the cursor ----

  async state(): Promise<ProgramState> {
    return this.walker.at(this.cursor);
  }

  /** The cursor thread's stack, outermost first. */
  async stack(): Promise<LiveFrame[]> {
    return (await this.state()).threads.get(this.cursorEvent[1]) ?? [];
  }

  async selectedFrame(): Promise<LiveFrame> {
    const stack = await this.stack();
    return stack[stack.length - 1 - Math.min(this.selected, stack.length - 1)];
  }

  /** up / down: select the caller (+1) or the callee (-1) of the selected frame. */
  async select(delta: number): Promise<LiveFrame> {
    const n = (await this.stack()).length;
    const to = this.selected + delta;
    if (to < 0) throw new UserError('already at the innermost frame.');
    if (to >= n) throw new UserError('already at the outermost recorded frame.');
    this.selected = to;
    return this.selectedFrame();
  }

  get selectedIndex(): number { return this.selected; }

  frameFunction(f: LiveFrame): string { return this.rec.codes[f.code]?.qualname ?? '?'; }
  frameFile(f: LiveFrame): string { return this.path(this.rec.codes[f.code]?.file ?? -1); }

  /** Locals as JSON, without the temporaries of pytest's assertion rewriting unless `all`. */
  localsJson(locals: Map<number, WireValue>, all = true): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of locals) {
      const name = this.rec.name(k);
      if (all || !isTemporary(name)) out[name] = this.json(v);
    }
    return out;
  }

  json(v: WireValue): JsonValue { return toJson(v, (id) => this.rec.name(id)); }

  /** Names as Python finds them: the locals, then the module's globals (when there are any). */
  scope(locals: Map<number, WireValue>, where: string, globals?: Map<number, WireValue>): Scope {
    return {
      lookup: (name) => {
        const id = this.nameIds.get(name);
        return id === undefined ? undefined : locals.get(id) ?? globals?.get(id);
      },
      names: (id) => this.rec.name(id),
      nameId: (name) => this.nameIds.get(name),
      where,
    };
  }

  private frameScope(f: LiveFrame, seq: number): Scope {
    return this.scope(f.locals, `${this.frameFunction(f)}() at event ${seq}`, f.globals);
  }

  // ---- display: expressions shown at every stop, as pdb's ----

  private shown: string[] = [];

  /** display EXPR: shown at every stop from now on; its value here. */
  async addDisplay(expr: string): Promise<{ expr: string; value: JsonValue }> {
    parse(expr); // a syntax error is said now, not at every stop
    if (!this.shown.includes(expr)) this.shown.push(expr);
    return (await this.displays()).find((d) => d.expr === expr)!;
  }

  /** undisplay [EXPR]: the expressions no longer shown. */
  removeDisplay(expr?: string): string[] {
    if (expr === undefined) return this.shown.splice(0);
    if (!this.shown.includes(expr)) throw new UserError(`'${expr}' is not displayed${this.shown.length ? ` (displayed: ${this.shown.join(', ')})` : ''}.`);
    this.shown = this.shown.filter((x) => x !== expr);
    return [expr];
  }

  /** The displayed expressions' values in the selected frame (one that cannot be computed here says why). */
  async displays(): Promise<{ expr: string; value: JsonValue }[]> {
    if (!this.shown.length) return [];
    const f = await this.selectedFrame();
    const scope = this.frameScope(f, this.cursor);
    return this.shown.map((expr) => ({
      expr, value: orElse<JsonValue>(() => this.json(evaluate(parse(expr), scope)), (err) => ({ type: 'error', repr: `<${err.message.replace(/\.$/, '')}>` })),
    }));
  }

  /** print EXPR in the selected frame. */
  async print(expr: string): Promise<JsonValue> {
    return this.json(await this.evaluate(expr));
  }

  /** EXPR's value in frame `f` (the selected frame by default), by the safe evaluator (expr.ts). */
  async evaluate(expr: string, f?: LiveFrame): Promise<WireValue> {
    const node = parse(expr);
    return evaluate(node, this.frameScope(f ?? (await this.selectedFrame()), this.cursor));
  }

  // ---- breakpoints and watches ----

  breakpoints(): BreakpointJson[] { return [...this.bps.values()].map((b) => this.describe(b)); }

  describe(b: Breakpoint): BreakpointJson {
    const out: BreakpointJson = { id: b.id, kind: b.kind, enabled: b.enabled, temporary: b.temporary, location: '' };
    if (b.kind === 'line') { out.location = `${b.path}:${b.line}`; out.ran = b.ran; if (b.movedFrom) out.movedFrom = b.movedFrom; }
    if (b.kind === 'exception') out.location = b.uncaught ? 'uncaught exceptions' : 'raised exceptions';
    if (b.kind === 'function') out.location = b.name;
    if (b.kind === 'watch') { out.location = `${b.expr} in ${b.function}()`; out.frame = b.frame; }
    if (b.cond) out.condition = b.cond.src;
    if (b.hits) out.hitCondition = b.hits.src;
    if (b.ignore) out.ignore = b.ignore;
    return out;
  }

  /** break FILE:LINE | FUNCTION [if COND]; `temporary` for tbreak. */
  async addBreak(where: string, cond: string | null, temporary = false): Promise<Breakpoint> {
    const c = cond ? { src: cond, node: parse(cond) } : null;
    const base = { id: this.nextId, enabled: true, temporary, cond: c };
    let bp: Breakpoint;
    const m = /^(.*):(\d+)$/.exec(where);
    if (m) {
      const { file, line, ran, movedFrom } = await this.resolveLine(m[1], Number(m[2]), true);
      bp = { ...base, kind: 'line', file, path: this.path(file), line, ran, movedFrom };
    } else {
      bp = { ...base, kind: 'function', name: where, codes: this.resolveFunction(where) };
    }
    this.nextId++;
    this.bps.set(bp.id, bp);
    return bp;
  }

  /** watch EXPR: a local of the selected frame (or of `frame`), or an expression over its locals. */
  async addWatch(expr: string, frame?: LiveFrame): Promise<{ bp: Breakpoint; value: JsonValue }> {
    const f = frame ?? (await this.selectedFrame());
    const bp = this.watchOf(expr, f, this.nextId++);
    this.bps.set(bp.id, bp);
    return { bp, value: this.outcomeJson(this.outcome(bp, f)) };
  }

  private watchOf(expr: string, f: LiveFrame, id: number): Breakpoint & { kind: 'watch' } {
    const node = parse(expr);
    const names = [...namesIn(node)].map((n) => this.nameIds.get(n)).filter((n): n is number => n !== undefined);
    if (!names.length) throw new UserError(`${expr} reads no local that was ever recorded, so it can never change.`);
    return {
      id, enabled: true, temporary: false, cond: null,
      kind: 'watch', expr, node, names, frame: f.frame, function: this.frameFunction(f), module: this.rec.codes[f.code]?.module,
    };
  }

  /**
   * The line of frame `f` that gave EXPR the value it has just after event `at` (as a backward
   * watch finds it), with the value before and after; null if it has had it since `f` began.
   */
  async lastChange(expr: string, f: LiveFrame, at: number): Promise<{ seq: number; old: JsonValue; new: JsonValue } | null> {
    const hit = await this.watchHit(this.watchOf(expr, f, 0), -1, undefined, at);
    return hit && { seq: hit.seq, old: hit.watch!.old, new: hit.watch!.new };
  }

  private bp(id: number): Breakpoint {
    const b = this.bps.get(id);
    if (!b) throw new UserError(`there is no breakpoint ${id}${this.bps.size ? ` (breakpoints: ${[...this.bps.keys()].join(', ')})` : ''}.`);
    return b;
  }

  deleteBreak(id: number) { this.bp(id); this.bps.delete(id); }

  /** condition N [EXPR]: give breakpoint N a condition, or (without one) make it unconditional. */
  setCondition(id: number, cond: string | null): Breakpoint {
    const b = this.bp(id);
    if (b.kind === 'watch') throw new UserError(`${id} is a watch: it has no condition (watch the expression you want instead).`);
    b.cond = cond ? { src: cond, node: parse(cond) } : null;
    return b;
  }

  /** A hit condition for breakpoint N (see HitCondition), or none. */
  setHitCondition(id: number, src: string | null): Breakpoint {
    const b = this.bp(id);
    if (b.kind !== 'line' && b.kind !== 'function') throw new UserError(`${id} is a ${b.kind === 'watch' ? 'watch' : 'exception breakpoint'}: only line and function breakpoints count their hits.`);
    b.hits = src ? parseHitCondition(src) : undefined;
    return b;
  }

  /** clear [FILE:LINE]: delete every breakpoint (and watch), or those at FILE:LINE. The ids deleted. */
  async clearBreaks(where?: string): Promise<number[]> {
    let ids = [...this.bps.keys()];
    if (where) {
      const m = /^(.*):(\d+)$/.exec(where);
      if (!m) throw new UserError(`'${where}' is not FILE:LINE.`);
      const file = await this.resolveFile(m[1]);
      ids = ids.filter((id) => { const b = this.bps.get(id)!; return b.kind === 'line' && b.file === file && b.line === Number(m[2]); });
      if (!ids.length) throw new UserError(`there is no breakpoint at ${where}.`);
    }
    for (const id of ids) this.bps.delete(id);
    return ids;
  }
  enableBreak(id: number, on: boolean) { this.bp(id).enabled = on; }

  /** FILE by path suffix or base name; a line that holds no code names the nearest that do. */
  async resolveFile(spec: string): Promise<number> {
    const matches = [...this.paths].filter(([, p]) => p === spec || p.endsWith('/' + spec.replace(/^\.\//, '')));
    if (matches.length === 1) return matches[0][0];
    if (!matches.length) {
      const known = [...this.paths.values()].map((p) => p.slice(p.lastIndexOf('/') + 1));
      throw new UserError(`no recorded file matches '${spec}' (recorded: ${known.slice(0, 8).join(', ')}${known.length > 8 ? ', …' : ''}).`);
    }
    throw new UserError(`'${spec}' matches ${matches.length} recorded files (${matches.map(([, p]) => p).join(', ')}); give more of the path.`);
  }

  /**
   * FILE:LINE as a line that can run. A line that holds no code is refused, naming the nearest
   * that ran; with `move` (breakpoints, as gdb's and IDEs'), it moves to the next line that ran.
   */
  private async resolveLine(spec: string, line: number, move = false): Promise<{ file: number; line: number; ran: number; movedFrom?: number }> {
    const file = await this.resolveFile(spec);
    const ran = await this.rec.lineRuns(file, line);
    if (ran > 0) return { file, line, ran };
    const source = (await this.rec.file(file))?.source;
    const text = source?.split('\n')[line - 1];
    const isCode = text !== undefined && text.trim() !== '' && !text.trim().startsWith('#');
    if (isCode) return { file, line, ran: 0 }; // code that never ran: the breakpoint is valid and never hits
    const lines = await this.rec.linesRan(file);
    const before = lines.filter((l) => l < line).pop();
    const after = lines.find((l) => l > line);
    if (move && after !== undefined && text !== undefined) return { file, line: after, ran: await this.rec.lineRuns(file, after), movedFrom: line };
    const near = [before, after].filter((l) => l !== undefined);
    const name = this.path(file).slice(this.path(file).lastIndexOf('/') + 1);
    const why = text === undefined ? `has no line ${line}` : `line ${line} holds no code`;
    throw new UserError(`${name} ${why}; ${near.length ? `the nearest lines that ran are ${near.join(' and ')}` : 'none of its lines ran'}.`);
  }

  /** FILE:LINE as a breakpoint takes it (a line that holds no code moves to the next that ran). */
  async breakLine(file: string, line: number): Promise<{ path: string; line: number; ran: number; movedFrom?: number }> {
    const r = await this.resolveLine(file, line, true);
    return { path: this.path(r.file), line: r.line, ran: r.ran, movedFrom: r.movedFrom };
  }

  resolveFunction(name: string): number[] {
    const codes = this.rec.codes.flatMap((c, i) => (c && (c.qualname === name || c.name === name) ? [i] : []));
    if (!codes.length) throw new UserError(`no function called '${name}' was recorded.`);
    return codes;
  }

  /** The condition of a breakpoint at a line event, in that event's frame. */
  private async holds(cond: Condition, seq: number, e: StoredEvent): Promise<boolean> {
    const f = frameIn(await this.walker.at(seq), e[2]);
    if (!f) return false;
    // A condition that cannot be computed there does not hold.
    return orElse(() => test(cond.node, this.frameScope(f, seq)), () => false);
  }

  /** The nearest hit of a line or function breakpoint in direction `dir`, not past `limit`. */
  private async breakHit(bp: Breakpoint, dir: Dir, limit?: number): Promise<number | null> {
    const from = Math.floor(this.cursor / BLOCK);
    const beyond = (seq: number) => limit !== undefined && (dir > 0 ? seq > limit : seq < limit);
    const after = (seq: number) => (dir > 0 ? seq > this.cursor : seq < this.cursor);
    const candidates = async function* (this: Engine): AsyncGenerator<[number, StoredEvent]> {
      if (bp.kind === 'line') {
        for await (const b of this.rec.lineBlocks(bp.file, bp.line, from, dir < 0)) yield* this.inBlock(b, dir, this.pick(bp));
      } else if (bp.kind === 'function') {
        // A function breakpoint hits at the first line of each of its frames.
        const start = dir > 0 ? Math.max(0, from - 1) : from;
        for await (const b of mergeBlocks(bp.codes.map((c) => this.rec.codeBlocks(c, start, dir < 0)), dir)) {
          for await (const [seq, e] of this.inBlock(b, dir, this.pick(bp))) {
            const first = await this.tl.walk({ from: seq, dir: 1, thread: e[1], anchor: e[2], skipDepth: e[3] + 1 }, (_, l) => l[2] === e[2]);
            if (first !== null) yield [first, (await this.tl.event(first))!];
          }
        }
      }
    };
    // The number of each candidate in the recording, for a hit condition: counted once, then stepped.
    let n: number | null = null;
    const counted = async (seq: number) => !bp.hits || bp.hits.ok((n = n === null ? await this.hitNumber(bp, seq) : n + dir));
    if (dir > 0 || !bp.cond) {
      for await (const [seq, e] of candidates.call(this)) {
        if (!after(seq)) continue;
        if (beyond(seq)) { if (bp.kind === 'line') return null; continue; }
        if (!(await counted(seq))) continue;
        if (!bp.cond || (await this.holds(bp.cond, seq, e))) return seq;
      }
      return null;
    }
    // Backwards with a condition: evaluate a snapshot interval's hits in time order (the state
    // walks forwards cheaply), and take the last that holds.
    const region = (seq: number) => Math.floor(seq / (BLOCK * SNAPSHOT_EVERY));
    let group: [number, StoredEvent][] = [];
    for await (const [seq, e] of candidates.call(this)) {
      if (!after(seq)) continue;
      if (beyond(seq)) break;
      if (!(await counted(seq))) continue;
      if (group.length && region(seq) !== region(group[0][0])) {
        const hit = await this.lastHolding(bp.cond, group);
        if (hit !== null) return hit;
        group = [];
      }
      group.push([seq, e]);
    }
    return this.lastHolding(bp.cond, group);
  }

  /** Which hit of breakpoint `bp` (1 for the first in the recording) the one at `seq` is. */
  private async hitNumber(bp: Breakpoint, seq: number): Promise<number> {
    const last = Math.floor(seq / BLOCK);
    let n = 0;
    if (bp.kind === 'line') {
      const pick = this.pick(bp);
      for await (const b of this.rec.lineBlocks(bp.file, bp.line, 0)) {
        if (b > last) break;
        for await (const [s] of this.inBlock(b, 1, pick)) if (s <= seq) n++;
      }
    } else if (bp.kind === 'function') {
      // A function's hit is the first line of a call: count the calls up to it.
      const pick = this.pick(bp);
      for await (const b of mergeBlocks(bp.codes.map((c) => this.rec.codeBlocks(c, 0, false)), 1)) {
        if (b > last) break;
        for await (const [s] of this.inBlock(b, 1, pick)) if (s < seq) n++;
      }
    }
    return n;
  }

  /** Of hits gathered backwards within one snapshot interval, the latest whose condition holds. */
  private async lastHolding(cond: Condition, group: [number, StoredEvent][]): Promise<number | null> {
    let hit: number | null = null;
    for (const [seq, e] of [...group].reverse()) if (await this.holds(cond, seq, e)) hit = seq;
    return hit;
  }

  /**
   * The events where a breakpoint may stop, its condition aside: a line breakpoint's line
   * events, a function breakpoint's calls, a watch's lines that change a name it reads.
   */
  private pick(bp: Breakpoint): (e: StoredEvent) => boolean {
    if (bp.kind === 'line') return (e) => e[0] === EK.LINE && e[5] === bp.line && this.rec.codes[e[4]]?.file === bp.file;
    if (bp.kind === 'function') return (e) => e[0] === EK.CALL && bp.codes.includes(e[4]);
    if (bp.kind === 'exception') return (e) => e[0] === EK.EXCEPTION;
    return (e) => {
      if (!e[6] || !(e[0] === EK.LINE ? e[2] === bp.frame : e[0] === EK.GLOBALS && e[7] === bp.module)) return false;
      const changes = e[6] as unknown[];
      for (let j = 0; j < changes.length; j += 2) if (bp.names.includes(changes[j] as number)) return true;
      return false;
    };
  }

  private async *inBlock(b: number, dir: Dir, pick: (e: StoredEvent) => boolean): AsyncGenerator<[number, StoredEvent]> {
    const events = await this.rec.block(b);
    for (let i = dir > 0 ? 0 : events.length - 1; i >= 0 && i < events.length; i += dir) {
      if (pick(events[i])) yield [b * BLOCK + i, events[i]];
    }
  }

  // -- watches --

  private outcome(bp: Breakpoint & { kind: 'watch' }, names: Names): Outcome {
    return orElse<Outcome>(() => evaluate(bp.node, this.scope(names.locals, `${bp.function}()`, names.globals)), (err) => ({ error: err.message }));
  }

  outcomeJson(v: Outcome): JsonValue {
    return isNoValue(v) ? { type: 'unbound', repr: `<${v.error.replace(/\.$/, '')}>` } : this.json(v);
  }

  private same(a: Outcome, b: Outcome): boolean {
    if (isNoValue(a) || isNoValue(b)) return isNoValue(a) && isNoValue(b);
    return sameValue(a, b);
  }

  /**
   * Copies of the names the watched frame sees just after event `seq`: its locals and its
   * module's globals (one map for a module body; empty before the frame exists).
   */
  private async watchedNames(bp: Breakpoint & { kind: 'watch' }, seq: number): Promise<Names> {
    const f = frameIn(await stateAt(this.rec, seq), bp.frame);
    const locals = new Map(f?.locals ?? []);
    const globals = !f?.globals ? undefined : f.globals === f.locals ? locals : new Map(f.globals);
    return { locals, globals };
  }

  /** Applies a change the watch picked (its frame's line, or a globals event of its module). */
  private applyWatched(names: Names, e: StoredEvent) {
    applyChanges(e[0] === EK.GLOBALS ? names.globals ?? new Map() : names.locals, e[6] as unknown[]);
  }

  /**
   * Events that change a name the watch reads, in time order, within (after, upto]: the watched
   * frame's lines, and its module's globals events; the blocks come from the variable index.
   */
  private async *watchChanges(bp: Breakpoint & { kind: 'watch' }, after: number, upto: number): AsyncGenerator<[number, StoredEvent]> {
    const first = Math.floor(after / BLOCK), lastBlock = Math.floor(upto / BLOCK);
    const pick = this.pick(bp);
    for await (const b of mergeBlocks(bp.names.map((n) => this.rec.varBlocks(n, first)), 1)) {
      if (b > lastBlock) return;
      for await (const [seq, e] of this.inBlock(b, 1, pick)) if (seq > after && seq <= upto) yield [seq, e];
    }
  }

  /** Where a forward watch stops for a change at `seq`: there for a line, the next line of its thread for a global. */
  private async watchStop(seq: number, e: StoredEvent): Promise<number> {
    if (e[0] !== EK.GLOBALS) return seq;
    return (await this.tl.walk({ from: seq, dir: 1, thread: e[1] }, () => true))
      ?? (await this.tl.walk({ from: seq, dir: -1, thread: e[1] }, () => true)) ?? seq;
  }

  /**
   * Forwards: the first line event after the cursor where the watched value is new.
   * Backwards: the line that made the last change visible at or before the cursor.
   */
  private async watchHit(bp: Breakpoint & { kind: 'watch' }, dir: Dir, limit?: number, from = this.cursor): Promise<{ seq: number; watch: Move['watch'] } | null> {
    const fr = await this.rec.frame(bp.frame);
    if (!fr) return null;
    const end = fr.end ?? this.tl.last;
    const report = (seq: number, old: Outcome, now: Outcome) => ({
      seq, watch: { id: bp.id, expr: bp.expr, old: this.outcomeJson(old), new: this.outcomeJson(now) },
    });
    if (dir > 0) {
      const start = Math.max(from, fr.start);
      if (start >= end) return null;
      const names = await this.watchedNames(bp, start);
      let old = this.outcome(bp, names);
      for await (const [seq, e] of this.watchChanges(bp, start, Math.min(end, limit ?? Infinity))) {
        this.applyWatched(names, e);
        const now = this.outcome(bp, names);
        if (!this.same(old, now)) return report(await this.watchStop(seq, e), old, now);
        old = now;
      }
      return null;
    }
    // Backwards, a snapshot interval at a time: replay its changes forwards, keep the last.
    const span = BLOCK * SNAPSHOT_EVERY;
    let upto = Math.min(from, end);
    while (upto > fr.start) {
      const lo = Math.max(fr.start, Math.floor(upto / span) * span - 1);
      const names = await this.watchedNames(bp, lo);
      let old = this.outcome(bp, names);
      let last: { seq: number; frame: number; old: Outcome; now: Outcome } | null = null;
      for await (const [seq, e] of this.watchChanges(bp, lo, upto)) {
        this.applyWatched(names, e);
        const now = this.outcome(bp, names);
        if (!this.same(old, now)) last = { seq, frame: e[2], old, now };
        old = now;
      }
      if (last) {
        const by = await this.madeBy(last.seq, last.frame);
        if (limit !== undefined && (by ?? last.seq) < limit) return null;
        return report(by ?? last.seq, last.old, last.now);
      }
      if (limit !== undefined && lo < limit) return null;
      upto = lo;
    }
    return null;
  }

  /** The line event of `frame` before `seq`: the line whose running made the change visible at seq. */
  async madeBy(seq: number, frame: number): Promise<number | null> {
    const e = await this.tl.event(seq);
    if (!e) return null;
    return this.tl.walk({ from: seq, dir: -1, thread: e[1], anchor: frame, skipDepth: e[3] }, (_, l) => l[2] === frame);
  }

  // ---- queries ----

  /**
   * history NAME [in FUNCTION]: every change of a local called NAME, in time order, in pieces
   * (the changes found in each block read), so that a million changes cost a few thousand
   * awaits rather than a million.
   */
  async *history(name: string, fn?: string): AsyncGenerator<HistoryEntry[]> {
    const id = this.nameIds.get(name);
    if (id === undefined) throw new UserError(`no local called '${name}' was recorded.`);
    const codes = fn ? new Set(this.resolveFunction(fn)) : null;
    const last = await this.valuesAtStart(id); // frame (or globalKey) -> its value, as shown
    let view = new BlockView();
    let prior = new BlockView(); // the block before, where the previous line usually is
    let priorBlock = -1;
    for await (const [b, raw] of this.rec.rawBlocks(this.rec.varBlocks(id))) {
      view.load(raw);
      const back = priorBlock === b - 1 ? prior.length : 0;
      const piece: HistoryEntry[] = [];
      for (let i = 0; i < view.length; i++) {
        const kind = view.kind[i];
        if ((kind !== EK.LINE && kind !== EK.CALL && kind !== EK.GLOBALS) || (codes && !codes.has(view.code[i]))) continue;
        const now = view.pairValue(i, id) as WireValue | undefined;
        if (now === undefined) continue;
        const seq = b * BLOCK + i, thread = view.thread[i], frame = view.frame[i], depth = view.depth[i];
        const shown = this.json(now);
        const code = this.rec.codes[view.code[i]];
        // A global's changes (a function's, or its module body's) follow one another whatever the frame.
        const module = kind === EK.GLOBALS ? view.payloadInt(i, 1) : sharesGlobals(code) ? code.module! : undefined;
        const owner = module === undefined ? frame : globalKey(module);
        const old = last.get(owner) ?? null;
        last.set(owner, shown);
        // A line's change was made by its frame's previous line; an argument's by the call
        // site. Almost always in this block or the one before: look there, else walk.
        let changedBy: HistoryEntry['changedBy'] = null;
        for (let k = i - 1; k >= -back; k--) {
          const v = k >= 0 ? view : prior, at = k >= 0 ? k : prior.length + k;
          if (v.kind[at] === EK.LINE && v.thread[at] === thread && (kind !== EK.CALL ? v.frame[at] === frame : v.depth[at] < depth)) {
            changedBy = { seq: b * BLOCK + k, line: v.line[at] };
            break;
          }
        }
        if (!changedBy) {
          const by = kind !== EK.CALL
            ? await this.madeBy(seq, frame)
            : await this.tl.walk({ from: seq, dir: -1, thread, skipDepth: depth }, (_, l) => l[3] < depth);
          const e = by === null ? undefined : await this.tl.event(by);
          if (e) changedBy = { seq: by!, line: e[5] };
        }
        const entry: HistoryEntry = { seq, thread, frame, function: code?.qualname ?? '?', name, changedBy, old, new: shown };
        if (module !== undefined) entry.module = this.rec.name(module);
        piece.push(entry);
      }
      [prior, view] = [view, prior];
      priorBlock = b;
      if (piece.length) yield piece;
    }
  }

  /** Frame -> value of local `id` where the recording starts (mid-run, in a flight recording). */
  private async valuesAtStart(id: number): Promise<Map<number, JsonValue>> {
    const out = new Map<number, JsonValue>();
    if (this.tl.first === 0) return out;
    const snap = (await this.rec.snapshotBefore(Math.floor(this.tl.first / BLOCK)))?.snapshot;
    const holders: [number, unknown[]][] = [...(snap?.threads.flatMap((t) => t.stack) ?? []), ...(snap?.suspended ?? [])].map((f) => [f.frame, f.locals]);
    for (const [m, g] of snap?.globals ?? []) holders.push([globalKey(m), g]);
    for (const [owner, flat] of holders) {
      for (let i = 0; i + 1 < flat.length; i += 2) if (flat[i] === id) out.set(owner, this.json(flat[i + 1] as WireValue));
    }
    return out;
  }

  /**
   * Every time FILE:LINE ran, in time order, a piece per block read: what `each` makes of each
   * hit (null: left out) from its frame's state there, which the next hits change. In pieces: an
   * async step per hit was a sixth of a scan over a hot line.
   */
  private async *lineHits<T>(where: string, each: (seq: number, e: StoredEvent, f: LiveFrame) => T | null): AsyncGenerator<T[]> {
    const m = /^(.*):(\d+)$/.exec(where);
    if (!m) throw new UserError(`'${where}' is not FILE:LINE.`);
    const { file, line } = await this.resolveLine(m[1], Number(m[2]));
    const walker = new StateWalker(this.rec);
    for await (const [b, events] of this.rec.blocksOf(this.rec.lineBlocks(file, line))) {
      const piece: T[] = [];
      for (let i = 0; i < events.length; i++) {
        const e = events[i];
        if (e[0] !== EK.LINE || e[5] !== line || this.rec.codes[e[4]]?.file !== file) continue;
        const seq = b * BLOCK + i;
        const f = frameIn(walker.advance(b, events, seq) ?? (await walker.at(seq)), e[2]);
        const x = f ? each(seq, e, f) : null;
        if (x !== null) piece.push(x);
      }
      walker.advance(b, events, b * BLOCK + events.length - 1); // the next block's hits go on from here
      if (piece.length) yield piece;
    }
  }

  /** hits FILE:LINE [if COND]: every time the line ran, with its frame's locals; in pieces. */
  async *hits(where: string, cond: string | null): AsyncGenerator<Hit[]> {
    const node = cond ? parse(cond) : null;
    yield* this.lineHits(where, (seq, e, f) => (node && !orElse(() => test(node, this.frameScope(f, seq)), () => false) ? null
      : { seq, thread: e[1], frame: e[2], line: e[5], function: this.frameFunction(f), locals: this.localsJson(f.locals) }));
  }

  /** log FILE:LINE TEMPLATE: the template, with {expr} filled in, at every hit; in pieces. */
  async *log(where: string, template: string, cond: string | null = null): AsyncGenerator<{ seq: number; thread: number; frame: number; text: string }[]> {
    const parts = parseTemplate(template);
    const node = cond ? parse(cond) : null;
    yield* this.lineHits(where, (seq, e, f) => {
      const scope = this.frameScope(f, seq);
      if (node && !orElse(() => test(node, scope), () => false)) return null;
      const text = parts.map((p) => (typeof p === 'string' ? p
        : orElse(() => evaluateStr(p, scope), (err) => `<${err.message.replace(/\.$/, '')}>`))).join('');
      return { seq, thread: e[1], frame: e[2], text };
    });
  }

  async *exceptions(): AsyncGenerator<{ seq: number; thread: number; frame: number; type: string; message: string | null; caught: boolean | null; file: string; line: number; function: string }> {
    for await (const x of this.rec.exceptions()) {
      const e = await this.tl.event(x.seq);
      const pos = this.position(x.seq, e!);
      yield { seq: x.seq, thread: x.thread, frame: x.frame, type: x.type, message: x.message, caught: x.caught, file: pos.file, line: pos.line, function: pos.function };
    }
  }

  async *output(): AsyncGenerator<{ seq: number; stream: 'stdout' | 'stderr'; text: string }> {
    for await (const o of this.rec.outputs()) yield { seq: o.seq, stream: o.stream === 2 ? 'stderr' : 'stdout', text: o.text };
  }

  /** The last `n` lines the program printed up to the cursor (stdout and stderr together). */
  async recentOutput(n: number): Promise<string[]> {
    // print() writes its text and its newline separately: 2n pieces hold n lines.
    const pieces = await this.rec.outputsBefore(this.cursor, 2 * n + 1);
    const lines = pieces.map((o) => o.text).join('').split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-n);
  }

  /**
   * For a timeline of `width` cells over the whole recording: the cells holding exceptions,
   * lines of enabled breakpoints that ran, and changes of watched names (conditions not
   * evaluated: a mark says "may stop here"). Read from the indexes with one seek per marked
   * cell, so it costs the same on any recording; on a recording of fewer blocks than cells,
   * from the marked blocks' events, so the marks stand where the events are.
   */
  async marks(width: number): Promise<{ exceptions: Set<number>; breaks: Set<number>; watches: Set<number> }> {
    const first = this.tl.first;
    const total = this.tl.last + 1 - first;
    const blocks = Math.ceil(total / BLOCK);
    const perCell = Math.max(1, Math.floor(blocks / width));
    const cell = (seq: number) => Math.min(width - 1, Math.max(0, Math.floor(((seq - first) / total) * width)));
    const out = { exceptions: new Set<number>(), breaks: new Set<number>(), watches: new Set<number>() };
    for await (const seq of this.rec.exceptionSeqs(Math.max(1, Math.floor(total / width)))) out.exceptions.add(cell(seq));
    for (const bp of this.bps.values()) {
      if (!bp.enabled || bp.kind === 'exception') continue; // exceptions are marked already
      let from = 0, to = Infinity;
      if (bp.kind === 'watch') {
        const f = await this.rec.frame(bp.frame);
        from = Math.floor((f?.start ?? 0) / BLOCK);
        to = Math.floor((f?.end ?? this.tl.last) / BLOCK);
      }
      const gens = bp.kind === 'line' ? [this.rec.lineBlocks(bp.file, bp.line, 0, false, perCell)]
        : bp.kind === 'function' ? bp.codes.map((c) => this.rec.codeBlocks(c, 0, false, perCell))
        : bp.names.map((n) => this.rec.varBlocks(n, from, false, perCell));
      const into = bp.kind === 'watch' ? out.watches : out.breaks;
      for await (const b of mergeBlocks(gens, 1)) {
        if (b > to) break;
        if (blocks > width) into.add(cell(b * BLOCK));
        else for await (const [seq] of this.inBlock(b, 1, this.pick(bp))) into.add(cell(seq));
      }
    }
    return out;
  }

  /** Lines of the file of `f` that ran at least once. */
  linesRan(f: LiveFrame): Promise<number[]> {
    return this.rec.linesRan(this.rec.codes[f.code]?.file ?? -1);
  }

  /** How frame `f` ends: the value it returns (and where), an exception, or not within the recording. */
  async returnValue(f: LiveFrame): Promise<{ how: 'returns'; seq: number; value: WireValue } | { how: 'raises' | 'running'; seq?: number }> {
    const fr = await this.rec.frame(f.frame);
    if (!fr || fr.end === null) return { how: 'running' };
    const e = await this.tl.event(fr.end);
    if (e?.[0] === EK.RETURN) return { how: 'returns', seq: fr.end, value: (e[6] ?? null) as WireValue };
    return { how: 'raises', seq: fr.end };
  }

  /** The arguments of frame `f` (the names its call bound), with their values now. */
  async args(f: LiveFrame): Promise<Map<number, WireValue>> {
    const fr = await this.rec.frame(f.frame);
    const call = fr ? await this.tl.event(fr.start) : undefined;
    const names = call && call[0] === EK.CALL ? ((call[6] as unknown[]) ?? []).filter((_, i) => i % 2 === 0) as number[] : [];
    return new Map(names.flatMap((n) => (f.locals.has(n) ? [[n, f.locals.get(n)!] as const] : [])));
  }

  /**
   * The source of frame `f`'s function: from its first line to the last line indented under it
   * (a module body's: the whole file).
   */
  async functionSource(f: LiveFrame): Promise<{ file: string; line: number; lines: { line: number; text: string }[] }> {
    const c = this.rec.codes[f.code];
    const src = c ? (await this.rec.file(c.file))?.source : null;
    if (src == null) throw new UserError(`the source of ${this.frameFile(f)} was not recorded.`);
    const all = src.split('\n');
    const indent = (t: string) => t.length - t.trimStart().length;
    let lo = c.name === '<module>' ? 1 : c.firstLine, hi = all.length;
    if (c.name !== '<module>') {
      while (lo < all.length && /^\s*@/.test(all[lo - 1])) lo++; // decorators: the def comes after them
      const base = indent(all[lo - 1] ?? '');
      hi = lo;
      for (let l = lo + 1; l <= all.length; l++) {
        const t = all[l - 1];
        if (t.trim() === '') continue;
        if (indent(t) <= base) break;
        hi = l;
      }
      lo = c.firstLine;
    }
    const lines = [];
    for (let l = lo; l <= hi; l++) lines.push({ line: l, text: all[l - 1] });
    return { file: this.frameFile(f), line: f.line, lines };
  }

  /** Source lines around the selected frame's line (or around `center`). */
  async source(f: LiveFrame, center: number, around = 5): Promise<{ file: string; line: number; lines: { line: number; text: string }[] }> {
    const c = this.rec.codes[f.code];
    const src = c ? (await this.rec.file(c.file))?.source : null;
    const file = this.frameFile(f);
    if (src == null) throw new UserError(`the source of ${file} was not recorded.`);
    const all = src.split('\n');
    const lo = Math.max(1, center - around), hi = Math.min(all.length, center + around);
    const lines = [];
    for (let l = lo; l <= hi; l++) lines.push({ line: l, text: all[l - 1] });
    return { file, line: f.line, lines };
  }

  /** Lines of a file that hold enabled line breakpoints (for listings). */
  breakLines(file: string): Set<number> {
    const out = new Set<number>();
    for (const b of this.bps.values()) if (b.kind === 'line' && b.enabled && b.path === file) out.add(b.line);
    return out;
  }
}

/** Merges ascending (dir 1) or descending (dir -1) streams of block numbers, without repeats. */
/** What a watch reads: a frame's locals and its module's globals (the same map for a module body). */
interface Names { locals: Map<number, WireValue>; globals?: Map<number, WireValue> }

/** history's key for a module's globals, apart from frame ids (which are positive). */
const globalKey = (module: number) => -1 - module;

async function* mergeBlocks(gens: AsyncGenerator<number>[], dir: Dir): AsyncGenerator<number> {
  try {
    const heads = await Promise.all(gens.map((g) => g.next()));
    let prev: number | undefined;
    for (;;) {
      let best = -1;
      heads.forEach((h, i) => { if (!h.done && (best < 0 || (h.value - (heads[best].value as number)) * dir < 0)) best = i; });
      if (best < 0) return;
      const v = heads[best].value as number;
      if (v !== prev) yield v;
      prev = v;
      heads[best] = await gens[best].next();
    }
  } finally {
    await Promise.all(gens.map((g) => g.return(undefined)));
  }
}

/** The value of `fn`, or of `fallback` when an expression cannot be computed. */
function orElse<T>(fn: () => T, fallback: (err: ExprError) => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ExprError) return fallback(err);
    throw err;
  }
}

type TemplatePart = string | Node;

/** "total={total} items={len(items)}" -> text and parsed expressions; {{ and }} are braces. */
export function parseTemplate(t: string): TemplatePart[] {
  const out: TemplatePart[] = [];
  let text = '';
  for (let i = 0; i < t.length; i++) {
    const ch = t[i];
    if ((ch === '{' || ch === '}') && t[i + 1] === ch) { text += ch; i++; continue; }
    if (ch === '}') throw new UserError(`a '}' in the log text has no '{' (write '}}' for a brace).`);
    if (ch !== '{') { text += ch; continue; }
    const close = t.indexOf('}', i);
    if (close < 0) throw new UserError(`a '{' in the log text is not closed.`);
    if (text) out.push(text);
    text = '';
    out.push(parse(t.slice(i + 1, close)));
    i = close;
  }
  if (text) out.push(text);
  return out;
}

function parseHitCondition(src: string): HitCondition {
  const m = /^\s*(==|>=|<=|>|<|%)?\s*(\d+)\s*$/.exec(src);
  if (!m) throw new UserError(`hit condition '${src}' is not a count: write N, ==N, >N, >=N, <N, <=N or %N.`);
  const n = Number(m[2]);
  if (m[1] === '%' && n === 0) throw new UserError(`hit condition '${src}' divides by zero.`);
  const ok: Record<string, (k: number) => boolean> = {
    '==': (k) => k === n, '>': (k) => k > n, '>=': (k) => k >= n, '<': (k) => k < n, '<=': (k) => k <= n, '%': (k) => k % n === 0,
  };
  return { src, ok: ok[m[1] ?? '=='] };
}

function evaluateStr(n: Node, scope: Scope): string {
  const v = evaluate({ k: 'call', fn: 'str', args: [n] }, scope);
  return typeof v === 'string' ? v : String(v);
}
