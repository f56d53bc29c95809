// What the terminal UI shows and what its keys do, without a terminal: the session turns
// key actions into engine calls and builds a plain View for screen.ts to draw. Kept apart
// so the benchmark can time every key on a big recording without a screen.
import { UserError } from '../errors.js';
import { incompleteness } from '../store/store.js';
import { isTemporary, type Dir, type Engine, type HistoryEntry, type Move } from '../replay/engine.js';
import { execute, stopText } from '../replay/commands.js';
import { childrenOf, reprOf, typeOf } from '../wire/values.js';
import type { WireValue } from '../wire/protocol.js';
import type { LiveFrame } from '../replay/state.js';

export type Pane = 'source' | 'locals' | 'stack' | 'output';
export const PANES: Pane[] = ['source', 'locals', 'stack', 'output'];

/** How much room each pane has, in rows (and the timeline in cells). */
export interface Sizes { source: number; locals: number; stack: number; output: number; timeline: number }

export interface SourceRow { line: number; text: string; current: boolean; selected: boolean; breakpoint: boolean; ran: boolean }
export interface LocalRow {
  indent: number; label: string; repr: string; type: string;
  open: boolean | null; // null: nothing to open
  changed: boolean; truncated: boolean; selected: boolean;
}
export interface StackRow { text: string; selected: boolean }
export interface Timeline { width: number; cursor: number; exceptions: Set<number>; breaks: Set<number>; watches: Set<number> }

export interface View {
  file: string;
  source: SourceRow[];
  locals: LocalRow[];
  stack: StackRow[];
  output: string[];
  timeline: Timeline;
  status: { where: string; function: string; seq: number; total: number; thread: string };
  message: string;
  focus: Pane;
}

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** A row of the locals tree before it is cut to the pane: its path names it across moves. */
interface TreeRow { path: string; indent: number; label: string; value: WireValue; open: boolean | null; more: number }

export class Session {
  focus: Pane = 'source';
  message = '';
  /** The source line picked with the arrows (for `b`); null: the current line. */
  private sourceLine: number | null = null;
  private expanded = new Set<string>();
  private localIndex = 0;
  /** The selected local's path (name, then items): kept selected across motions. */
  private selectedPath: string | null = null;
  private outputBack = 0; // lines scrolled back from the newest
  /** Per frame, the reprs of its rows when last shown: what changed is what differs. */
  private seen = new Map<number, Map<string, string>>();
  private changed = new Set<string>();
  private shownAt = ''; // "seq:frame" the changes were worked out for
  private ran = new Map<number, Set<number> | Promise<unknown>>(); // code file -> lines that ran
  private lines = new Map<number, string[] | null>(); // code file -> its source lines
  private marks: { key: string; value: Omit<Timeline, 'width' | 'cursor'> | null } | null = null;
  private lastRows: TreeRow[] = [];
  /** Called when something computed in the background (timeline marks, ran lines) is ready. */
  onReady: () => void = () => {};

  constructor(readonly e: Engine) {
    // A recording that misses something says so first thing.
    const missing = incompleteness(e.rec.meta);
    if (missing) this.message = `incomplete recording: ${missing}`;
  }

  // ---- keys ----

  async motion(kind: 'step' | 'next' | 'finish' | 'cont', dir: Dir): Promise<void> {
    const m: Move = kind === 'cont' ? await this.e.cont(dir) : await this.e[kind](dir);
    this.moved();
    const shown = (await this.e.displays()).map((d) => `${d.expr} = ${d.value.repr}`);
    this.message = [describeMove(m, this.e), ...shown].filter(Boolean).join('   ');
  }

  async gotoSeq(seq: number): Promise<void> {
    await this.e.goto(seq);
    this.moved();
    this.message = `at event ${seq}`;
  }

  async gotoException(): Promise<void> {
    await this.e.gotoException();
    this.moved();
    const u = this.e.rec.meta.uncaught;
    this.message = u ? `raised here: ${u.type}${u.message != null ? `: ${u.message}` : ''}` : 'the last exception raised';
  }

  /**
   * `:` — any batch-mode command. A one-line result goes to the message line (motions show
   * where they stopped); a longer one is returned for a pop-up.
   */
  async command(line: string): Promise<string | null> {
    const before = this.e.seq;
    const r = await execute(this.e, line);
    if (this.e.seq !== before) this.moved();
    const text = await r.text();
    const lines = text.split('\n');
    if ('seq' in r.result) { this.message = lines.filter((l) => !l.startsWith('  ')).join('  '); return null; }
    if (lines.length === 1) { this.message = text; return null; }
    return text;
  }

  async toggleBreak(): Promise<void> {
    const f = await this.e.selectedFrame();
    const file = this.e.frameFile(f);
    const line = this.sourceLine ?? f.line;
    const at = `${file}:${line}`;
    const old = this.e.breakpoints().find((b) => b.kind === 'line' && b.location === at);
    if (old) {
      this.e.deleteBreak(old.id);
      this.message = `Deleted breakpoint ${old.id} at ${base(file)}:${line}`;
    } else {
      const bp = this.e.describe(await this.e.addBreak(at, null));
      this.message = `Breakpoint ${bp.id} at ${base(file)}:${line} (ran ${bp.ran} time${bp.ran === 1 ? '' : 's'})`;
    }
    this.marks = null;
  }

  /** The top-level local under the locals selection (the one `w` and `h` act on). */
  private selectedName(): string {
    const row = this.lastRows[this.localIndex];
    if (!row) throw new UserError('no local is selected (Tab to the locals pane, arrows to pick one).');
    return row.path.split('\u0000')[0];
  }

  async watchSelected(): Promise<void> {
    const name = this.selectedName();
    const { bp, value } = await this.e.addWatch(name);
    this.message = `Watch ${bp.id}: ${name} = ${value.repr}`;
    this.marks = null;
  }

  /** `h` — the changes of the selected local in the selected frame's function, first `max`. */
  async historyOfSelected(max = 1000): Promise<{ name: string; entries: HistoryEntry[]; more: boolean }> {
    const name = this.selectedName();
    const fn = this.e.frameFunction(await this.e.selectedFrame());
    const entries: HistoryEntry[] = [];
    let more = false;
    for await (const piece of this.e.history(name, fn)) {
      entries.push(...piece);
      if (entries.length > max) { more = true; entries.length = max; break; }
    }
    return { name: `${name} in ${fn}()`, entries, more };
  }

  nextFocus(delta: number): void {
    this.focus = PANES[(PANES.indexOf(this.focus) + delta + PANES.length) % PANES.length];
  }

  /** Arrows and pages in the focused pane. */
  async move(delta: number): Promise<void> {
    switch (this.focus) {
      case 'source': {
        const f = await this.e.selectedFrame();
        const lines = (await this.sourceText(f))?.length ?? 1;
        this.sourceLine = Math.max(1, Math.min(lines, (this.sourceLine ?? f.line) + delta));
        return;
      }
      case 'locals':
        this.localIndex = Math.max(0, Math.min(this.lastRows.length - 1, this.localIndex + delta));
        this.selectedPath = this.lastRows[this.localIndex]?.path ?? null;
        return;
      case 'stack': {
        // The pane lists the innermost frame first: down is towards the callers.
        const n = (await this.e.stack()).length;
        const target = Math.max(0, Math.min(n - 1, this.e.selectedIndex + delta));
        if (target !== this.e.selectedIndex) await this.e.select(target - this.e.selectedIndex);
        this.sourceLine = null;
        this.localIndex = 0;
        this.selectedPath = null;
        return;
      }
      case 'output':
        this.outputBack = Math.max(0, this.outputBack - delta);
        return;
    }
  }

  /** Enter / space / → ← on a local: open or close it. */
  toggleOpen(open?: boolean): void {
    const row = this.lastRows[this.localIndex];
    if (!row || row.open === null) return;
    const want = open ?? !row.open;
    if (want) this.expanded.add(row.path);
    else this.expanded.delete(row.path);
  }

  private moved(): void {
    this.sourceLine = null;
    this.outputBack = 0;
    // The selected local stays selected, by name, where the frame still has it (see view).
  }

  // ---- the view ----

  async view(size: Sizes): Promise<View> {
    const stack = await this.e.stack();
    const f = await this.e.selectedFrame();
    const pos = this.e.position();
    const file = this.e.frameFile(f);
    const rows = this.tree(f);
    this.lastRows = rows;
    const kept = this.selectedPath === null ? -1 : rows.findIndex((r) => r.path === this.selectedPath);
    this.localIndex = kept >= 0 ? kept : Math.min(this.localIndex, Math.max(0, rows.length - 1));
    this.noteChanges(pos.seq, f.frame, rows);
    const thread = this.e.rec.threads.find((t) => t.thread === pos.thread);
    return {
      file,
      source: await this.sourceRows(f, file, size.source),
      locals: window(rows, this.localIndex, size.locals).map((r) => {
        const v = this.e.json(r.value);
        return {
          indent: r.indent, label: r.label, repr: v.repr, type: v.type, open: r.open,
          changed: this.changed.has(r.path), truncated: Boolean(v.truncated) || r.more > 0,
          selected: this.focus === 'locals' && r === rows[this.localIndex],
        };
      }),
      stack: window([...stack].reverse().map((s, i) => ({
        text: `${this.e.frameFunction(s)}  ${base(this.e.frameFile(s))}:${s.line}`,
        selected: i === this.e.selectedIndex,
      })), this.e.selectedIndex, size.stack),
      output: await this.outputRows(size.output),
      timeline: { width: size.timeline, cursor: Math.min(size.timeline - 1, Math.floor((pos.seq / (this.e.tl.last + 1)) * size.timeline)), ...this.timelineMarks(size.timeline) },
      status: { where: `${base(pos.file)}:${pos.line}`, function: pos.function, seq: pos.seq, total: this.e.tl.last + 1, thread: thread?.name ?? String(pos.thread) },
      message: this.message,
      focus: this.focus,
    };
  }

  /** The lines of the frame's file, split once per file (every key redraws the source). */
  private async sourceText(f: LiveFrame): Promise<string[] | null> {
    const file = this.e.rec.codes[f.code]?.file ?? -1;
    if (!this.lines.has(file)) {
      const src = (await this.e.rec.file(file))?.source;
      this.lines.set(file, src == null ? null : src.split('\n'));
    }
    return this.lines.get(file)!;
  }

  private async sourceRows(f: LiveFrame, file: string, rows: number): Promise<SourceRow[]> {
    const text = await this.sourceText(f);
    if (!text) return [{ line: f.line, text: `(the source of ${base(file)} was not recorded)`, current: true, selected: false, breakpoint: false, ran: true }];
    const sel = this.sourceLine ?? f.line;
    const first = Math.max(1, Math.min(sel - Math.floor(rows / 2), text.length - rows + 1));
    const bps = this.e.breakLines(file);
    const ran = this.linesRan(f);
    const out: SourceRow[] = [];
    for (let l = first; l < first + rows && l <= text.length; l++) {
      out.push({ line: l, text: text[l - 1], current: l === f.line, selected: this.focus === 'source' && l === sel, breakpoint: bps.has(l), ran: ran?.has(l) ?? false });
    }
    return out;
  }

  /** Lines of the frame's file that ran, once known (read in the background the first time). */
  private linesRan(f: LiveFrame): Set<number> | null {
    const file = this.e.rec.codes[f.code]?.file ?? -1;
    const got = this.ran.get(file);
    if (got instanceof Set) return got;
    if (!got) {
      // Background work: a failure (the recording closed as the UI quits) only leaves the dots out.
      this.ran.set(file, this.e.linesRan(f).then(
        (lines) => { this.ran.set(file, new Set(lines)); this.onReady(); },
        () => this.ran.set(file, new Set()),
      ));
    }
    return null;
  }

  private timelineMarks(width: number): Omit<Timeline, 'width' | 'cursor'> {
    const key = `${width}:${JSON.stringify(this.e.breakpoints())}`;
    if (this.marks?.key !== key) {
      const m = { key, value: null as Omit<Timeline, 'width' | 'cursor'> | null };
      this.marks = m;
      this.e.marks(width).then((value) => { m.value = value; if (this.marks === m) this.onReady(); }, () => undefined);
    }
    return this.marks.value ?? { exceptions: new Set(), breaks: new Set(), watches: new Set() };
  }

  private async outputRows(rows: number): Promise<string[]> {
    const lines = await this.e.recentOutput(rows + this.outputBack);
    return lines.slice(0, Math.max(0, lines.length - this.outputBack)).slice(-rows);
  }

  /** The selected frame's locals as a tree, opened where the user opened it. */
  private tree(f: LiveFrame): TreeRow[] {
    const names = (id: number) => this.e.rec.name(id);
    const rows: TreeRow[] = [];
    const add = (path: string, indent: number, label: string, value: WireValue) => {
      const kids = childrenOf(value, names);
      const open = kids && (kids.parts.length || kids.more) ? this.expanded.has(path) : null;
      rows.push({ path, indent, label, value, open, more: kids?.more ?? 0 });
      if (!open || !kids) return;
      for (const [i, [l, v]] of kids.parts.entries()) {
        if (rows.length > 5000) return; // a pane shows a few dozen; more is never looked at
        add(`${path}\u0000${i}`, indent + 1, l, v);
      }
    };
    for (const [id, v] of f.locals) if (!isTemporary(names(id))) add(names(id), 0, names(id), v);
    return rows;
  }

  /**
   * Rows whose value differs from when this frame was last shown at another point are the
   * changed ones (new locals too; new parts of an opened value are not).
   */
  private noteChanges(seq: number, frame: number, rows: TreeRow[]): void {
    const names = (id: number) => this.e.rec.name(id);
    const now = new Map(rows.map((r) => [r.path, typeOf(r.value, names) + reprOf(r.value, names)]));
    if (`${seq}:${frame}` !== this.shownAt) {
      const before = this.seen.get(frame);
      this.changed = new Set();
      if (before) for (const [p, r] of now) if (before.get(p) !== r && (before.has(p) || !p.includes('\u0000'))) this.changed.add(p);
      this.shownAt = `${seq}:${frame}`;
    }
    this.seen.delete(frame);
    this.seen.set(frame, now);
    if (this.seen.size > 256) this.seen.delete(this.seen.keys().next().value!);
  }
}

function describeMove(m: Move, e: Engine): string {
  if (m.watch) return `Watch ${m.watch.id}: ${m.watch.expr}: ${m.watch.old.repr} -> ${m.watch.new.repr}`;
  if (m.breakpoint !== undefined) return `Breakpoint ${m.breakpoint}`;
  if (m.stop) return stopText(m.stop, e);
  return '';
}

/** The rows of `all` that fit `size`, keeping row `at` in sight. */
function window<T>(all: T[], at: number, size: number): T[] {
  if (all.length <= size) return all;
  const first = Math.max(0, Math.min(at - Math.floor(size / 2), all.length - size));
  return all.slice(first, first + size);
}
