// The replay command language (pdb names, with reverse twins), shared by the batch mode, the
// terminal UI's command line and the direct subcommands. A command runs against the engine
// and returns a JSON-able result; `text` renders that result for people. No printing here.
import { UserError } from '../errors.js';
import { Recording, incompleteness } from '../store/store.js';
import type { JsonValue } from '../wire/values.js';
import type { Dir, Engine, Move, Position, Stop } from './engine.js';
import type { TestRun } from './tests.js';
import { diffRuns, diffText, type DiffResult } from './diff.js';
import { origin, originArgs, originText, type OriginStep } from './origin.js';

export type Result = Record<string, unknown>;

interface Command {
  names: string[];
  usage: string;
  summary: string;
  run(e: Engine, arg: string): Promise<Result>;
  text(r: Result, e: Engine): Promise<string> | string;
}

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);

function motion(m: Move): Result {
  const r: Result = { ...m.pos };
  if (m.stop) r.stop = m.stop;
  if (m.breakpoint !== undefined) r.breakpoint = m.breakpoint;
  if (m.watch) { r.watch = m.watch.id; r.old = m.watch.old; r.new = m.watch.new; }
  return r;
}

async function sourceLine(e: Engine, file: string, line: number): Promise<string> {
  for (const [id, p] of await e.rec.filePaths()) {
    if (p === file) return (await e.rec.file(id))?.source?.split('\n')[line - 1] ?? '';
  }
  return '';
}

/** Why a motion stopped short, in words (both frontends). */
export function stopText(stop: Stop, e: Engine): string {
  if (stop === 'end') return 'at the end: nothing further forwards';
  if (stop === 'outside') return 'at the edge of this frame: its caller is not recorded';
  return e.tl.first > 0 ? 'at the first event kept: the flight recorder dropped the earlier ones' : 'at the start: nothing further backwards';
}

/** A motion's result, with the values of the `display` expressions where it stopped. */
async function stopAt(e: Engine, m: Move): Promise<Result> {
  const r = motion(m);
  const shown = await e.displays();
  if (shown.length) r.display = shown;
  return r;
}

async function motionText(r: Result, e: Engine): Promise<string> {
  const p = r as unknown as Position & { stop?: string; breakpoint?: number; watch?: number; old?: JsonValue; new?: JsonValue };
  const out: string[] = [];
  if (p.stop) out.push(`(${stopText(p.stop as Stop, e)})`);
  if (p.breakpoint !== undefined) out.push(`Breakpoint ${p.breakpoint}`);
  if (p.watch !== undefined) out.push(`Watch ${p.watch}: ${p.old!.repr} -> ${p.new!.repr}`);
  out.push(`> ${base(p.file)}:${p.line} ${p.function}()   [event ${p.seq}, thread ${p.thread}]`);
  out.push(`  ${String(p.line).padStart(4)}  ${(await sourceLine(e, p.file, p.line)).trimEnd()}`);
  for (const d of (r.display as { expr: string; value: JsonValue }[] | undefined) ?? []) out.push(`display ${d.expr}: ${d.value.repr}`);
  return out.join('\n');
}

const motionCommand = (names: string[], summary: string, go: (e: Engine, dir: Dir) => Promise<Move>, dir: Dir): Command => ({
  names, usage: names[0], summary,
  run: async (e) => stopAt(e, await go(e, dir)),
  text: motionText,
});

const untilCommand = (names: string[], summary: string, dir: Dir): Command => ({
  names, usage: `${names[0]} [LINE]`, summary,
  run: async (e, arg) => {
    const line = arg.trim() ? Number(arg.trim()) : undefined;
    if (line !== undefined && !(Number.isInteger(line) && line > 0)) throw new UserError(`${names[0]} takes a line number, not '${arg.trim()}'.`);
    return stopAt(e, await e.until(dir, line));
  },
  text: motionText,
});

function needArg(arg: string, usage: string): string {
  if (!arg.trim()) throw new UserError(`usage: ${usage}`);
  return arg.trim();
}

function breakId(arg: string, usage: string): number {
  const n = Number(needArg(arg, usage));
  if (!Number.isInteger(n)) throw new UserError(`'${arg.trim()}' is not a breakpoint number (usage: ${usage}).`);
  return n;
}

/** "where if cond" -> [where, cond] */
/** LOCATION [if COND], or pdb's LOCATION, COND. */
function splitIf(arg: string): [string, string | null] {
  const m = /^([^\s,]+)(?:\s+if\s+(.+)|\s*,\s*(.+))?$/.exec(arg.trim());
  if (!m) throw new UserError(`expected LOCATION [if CONDITION], not '${arg.trim()}'.`);
  return [m[1], m[2] ?? m[3] ?? null];
}

function unquote(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && (t[0] === '"' || t[0] === "'") && t.at(-1) === t[0]) return t.slice(1, -1);
  return t;
}

async function collect<T>(gen: AsyncGenerator<T>, max = Infinity): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) { out.push(x); if (out.length >= max) break; }
  return out;
}

export function historyText(h: any): string {
  const by = h.changedBy ? `line ${h.changedBy.line} (event ${h.changedBy.seq})` : 'the call';
  const name = h.module ? `${h.name} (global of ${h.module})` : h.name;
  return `event ${String(h.seq).padStart(7)}  ${h.function}()  ${name}: ${h.old ? h.old.repr : '<unset>'} -> ${h.new.repr}   by ${by}`;
}

export function hitText(h: any): string {
  const locals = Object.entries(h.locals as Record<string, JsonValue>).map(([k, v]) => `${k}=${v.repr}`).join(' ');
  return `event ${String(h.seq).padStart(7)}  T${h.thread}  ${h.function}():${h.line}  ${locals}`;
}

export function testText(t: TestRun): string {
  const why = t.exception ? `  ${t.exception.type}${t.exception.message != null ? `: ${t.exception.message.split('\n')[0]}` : ''}` : '';
  return `${t.outcome.toUpperCase().padEnd(8)} ${t.name}   events ${t.start}-${t.end ?? '…'} (${t.events})${why}`;
}

export function exceptionText(x: any): string {
  const fate = x.caught === true ? 'caught' : x.caught === false ? 'not caught' : 'in flight at the end';
  return `event ${String(x.seq).padStart(7)}  ${x.type}${x.message != null ? `: ${x.message}` : ''}   at ${base(x.file)}:${x.line} in ${x.function}() — ${fate}`;
}

function breakText(b: any): string {
  const what = b.kind === 'watch' ? 'watch' : b.temporary ? 'tbreak' : 'break';
  const ran = b.ran !== undefined ? `  (ran ${b.ran} time${b.ran === 1 ? '' : 's'})` : '';
  const ignore = b.ignore ? `  (ignore next ${b.ignore})` : '';
  const moved = b.movedFrom ? `  (line ${b.movedFrom} holds no code: moved to the next line that ran)` : '';
  return `${String(b.id).padStart(3)}  ${what.padEnd(6)} ${b.enabled ? 'on ' : 'off'}  ${b.location}${b.condition ? ` if ${b.condition}` : ''}${ran}${ignore}${moved}`;
}

const COMMANDS: Command[] = [
  motionCommand(['step', 's'], 'the next line event of this thread', (e, d) => e.step(d), 1),
  motionCommand(['rstep', 'rs'], 'the previous line event of this thread', (e, d) => e.step(d), -1),
  motionCommand(['next', 'n'], 'the next line of this frame (step over calls), or of its caller', (e, d) => e.next(d), 1),
  motionCommand(['rnext', 'rn'], 'the previous line of this frame, or the line that called it', (e, d) => e.next(d), -1),
  untilCommand(['until', 'unt'], 'as next, but only to a line past this one in this frame (out of a loop), or to LINE', 1),
  untilCommand(['runtil', 'runt'], 'as rnext, but only to a line before this one in this frame, or to LINE', -1),
  motionCommand(['finish', 'f', 'return', 'r'], 'run until this frame returns: the next line in a caller', (e, d) => e.finish(d), 1),
  motionCommand(['rfinish', 'rf'], 'back to the line that called this frame', (e, d) => e.finish(d), -1),
  motionCommand(['continue', 'c'], 'the next breakpoint hit or watched change (any thread)', (e, d) => e.cont(d), 1),
  motionCommand(['rcontinue', 'rc'], 'the previous breakpoint hit, or the line that made the last watched change', (e, d) => e.cont(d), -1),
  {
    names: ['goto', 'g'], usage: 'goto SEQ | start | end | exception | failure | test NAME',
    summary: 'jump to an event, an end, the exception, where the first failing test failed, or a test\'s start',
    run: async (e, arg) => {
      const a = needArg(arg, 'goto SEQ | start | end | exception | failure | test NAME');
      if (a === 'start') return stopAt(e, await e.gotoEdge(-1));
      if (a === 'end') return stopAt(e, await e.gotoEdge(1));
      if (a === 'exception') return stopAt(e, await e.gotoException());
      if (a === 'failure') return stopAt(e, await e.gotoFailure());
      if (a === 'test' || a.startsWith('test ')) return stopAt(e, await e.gotoTest(needArg(a.slice(4).trim(), 'goto test NAME')));
      if (!/^\d+$/.test(a)) throw new UserError(`goto needs an event number, start, end, exception, failure or test NAME, not '${a}'.`);
      return stopAt(e, await e.goto(Number(a)));
    },
    text: motionText,
  },
  {
    names: ['break', 'b'], usage: 'break FILE:LINE [if EXPR] | break FUNCTION [if EXPR]', summary: 'set a breakpoint after the fact',
    run: async (e, arg) => {
      const [where, cond] = splitIf(needArg(arg, 'break FILE:LINE [if EXPR]'));
      return { breakpoint: e.describe(await e.addBreak(where, cond)) };
    },
    text: (r) => `Breakpoint ${breakText(r.breakpoint).trim()}`,
  },
  {
    names: ['tbreak'], usage: 'tbreak FILE:LINE [if EXPR] | tbreak FUNCTION', summary: 'a breakpoint deleted at its first stop',
    run: async (e, arg) => {
      const [where, cond] = splitIf(needArg(arg, 'tbreak FILE:LINE [if EXPR]'));
      return { breakpoint: e.describe(await e.addBreak(where, cond, true)) };
    },
    text: (r) => `Breakpoint ${breakText(r.breakpoint).trim()}`,
  },
  {
    names: ['watch'], usage: 'watch EXPR', summary: 'stop where a local (or expression over locals) of this frame changes',
    run: async (e, arg) => {
      const { bp, value } = await e.addWatch(needArg(arg, 'watch EXPR'));
      return { watch: e.describe(bp), value };
    },
    text: (r) => `Watch ${breakText(r.watch).trim()} = ${(r.value as JsonValue).repr}`,
  },
  {
    names: ['delete', 'd'], usage: 'delete N', summary: 'delete a breakpoint or watch',
    run: async (e, arg) => { const n = breakId(arg, 'delete N'); e.deleteBreak(n); return { deleted: n }; },
    text: (r) => `Deleted ${r.deleted}`,
  },
  {
    names: ['clear', 'cl'], usage: 'clear [FILE:LINE]', summary: 'delete every breakpoint and watch, or the breakpoints at FILE:LINE',
    run: async (e, arg) => ({ deleted: await e.clearBreaks(arg.trim() || undefined) }),
    text: (r) => ((r.deleted as number[]).length ? `Deleted ${(r.deleted as number[]).join(', ')}` : 'No breakpoints'),
  },
  {
    names: ['ignore'], usage: 'ignore N COUNT', summary: 'pass over the next COUNT hits of breakpoint N',
    run: async (e, arg) => {
      const [n, count] = arg.trim().split(/\s+/);
      const c = Number(count);
      if (!Number.isInteger(c) || c < 0) throw new UserError(`ignore takes a breakpoint number and a count, not '${arg.trim()}'.`);
      return { breakpoint: e.describe(e.ignoreBreak(breakId(n ?? '', 'ignore N COUNT'), c)) };
    },
    text: (r) => breakText(r.breakpoint),
  },
  {
    names: ['condition'], usage: 'condition N [EXPR]', summary: 'give breakpoint N a condition, or take it away',
    run: async (e, arg) => {
      const m = /^\s*(\S+)\s*(.*)$/.exec(arg) ?? ['', '', ''];
      const b = e.setCondition(breakId(m[1], 'condition N [EXPR]'), m[2].trim() || null);
      return { breakpoint: e.describe(b) };
    },
    text: (r) => breakText(r.breakpoint),
  },
  {
    names: ['disable'], usage: 'disable N', summary: 'turn a breakpoint or watch off',
    run: async (e, arg) => { const n = breakId(arg, 'disable N'); e.enableBreak(n, false); return { disabled: n }; },
    text: (r) => `Disabled ${r.disabled}`,
  },
  {
    names: ['enable'], usage: 'enable N', summary: 'turn a breakpoint or watch back on',
    run: async (e, arg) => { const n = breakId(arg, 'enable N'); e.enableBreak(n, true); return { enabled: n }; },
    text: (r) => `Enabled ${r.enabled}`,
  },
  {
    names: ['breaks', 'breakpoints'], usage: 'breaks', summary: 'list breakpoints and watches',
    run: async (e) => ({ breakpoints: e.breakpoints() }),
    text: (r) => ((r.breakpoints as unknown[]).length ? (r.breakpoints as unknown[]).map(breakText).join('\n') : 'No breakpoints.'),
  },
  {
    names: ['history'], usage: 'history NAME [in FUNCTION]', summary: 'every change of a local: where, by which line, old and new',
    run: async (e, arg) => {
      const m = /^(\w+)(?:\s+in\s+(\S+))?$/.exec(needArg(arg, 'history NAME [in FUNCTION]'));
      if (!m) throw new UserError(`usage: history NAME [in FUNCTION]`);
      return { history: (await collect(e.history(m[1], m[2]))).flat() };
    },
    text: (r) => ((r.history as unknown[]).length ? (r.history as unknown[]).map(historyText).join('\n') : 'No changes.'),
  },
  {
    names: ['hits'], usage: 'hits FILE:LINE [if EXPR]', summary: 'every time a line ran, with its locals',
    run: async (e, arg) => {
      const [where, cond] = splitIf(needArg(arg, 'hits FILE:LINE [if EXPR]'));
      return { hits: (await collect(e.hits(where, cond))).flat() };
    },
    text: (r) => ((r.hits as unknown[]).length ? (r.hits as unknown[]).map(hitText).join('\n') : 'No hits.'),
  },
  {
    names: ['log'], usage: 'log FILE:LINE "text {expr} ..."', summary: 'a print statement added after the fact',
    run: async (e, arg) => {
      const m = /^(\S+)\s+(.+)$/.exec(needArg(arg, 'log FILE:LINE "text {expr}"'));
      if (!m) throw new UserError('usage: log FILE:LINE "text {expr}"');
      return { log: (await collect(e.log(m[1], unquote(m[2])))).flat() };
    },
    text: (r) => (r.log as { text: string }[]).map((l) => l.text).join('\n'),
  },
  {
    names: ['exceptions'], usage: 'exceptions', summary: 'every exception raised, where, and whether it was caught',
    run: async (e) => ({ exceptions: await collect(e.exceptions()) }),
    text: (r) => ((r.exceptions as unknown[]).length ? (r.exceptions as unknown[]).map(exceptionText).join('\n') : 'No exceptions.'),
  },
  {
    names: ['origin'], usage: 'origin [-d N] EXPR', summary: 'where the value of EXPR came from: the line that set it, and where its inputs came from (N levels, default 3)',
    run: async (e, arg) => {
      const { expr, depth } = originArgs(needArg(arg, 'origin [-d N] EXPR'))!;
      return { origin: await origin(e, expr, depth) };
    },
    text: (r) => originText(r.origin as OriginStep),
  },
  {
    names: ['diff'], usage: 'diff OTHER', summary: 'compare with another recording of the program: go to the first divergence',
    run: async (e, arg) => {
      const other = await Recording.open(needArg(arg, 'diff OTHER (a recording folder or .rwd)'));
      try {
        const r = await diffRuns(e.rec, other);
        const d = r.divergences[0];
        const move = d?.a ? await e.goto(d.a.event) : null;
        return { diff: r, ...(move ? { moved: move.pos } : {}) };
      } finally {
        await other.close();
      }
    },
    text: (r) => diffText(r.diff as DiffResult, r.moved ? "(the cursor is at A's side of it; rewind diff --all A B lists the others)" : undefined),
  },
  {
    names: ['tests'], usage: 'tests', summary: 'the tests of a pytest or unittest run: outcome, events, where',
    run: async (e) => ({ tests: await e.tests() }),
    text: (r) => ((r.tests as unknown[]).length ? (r.tests as TestRun[]).map(testText).join('\n') : 'No tests ran (tests are functions named test* called by pytest or unittest).'),
  },
  {
    names: ['output'], usage: 'output', summary: 'what the program printed, each piece with its event',
    run: async (e) => ({ output: await collect(e.output()) }),
    text: (r) => (r.output as { seq: number; stream: string; text: string }[])
      .map((o) => `event ${String(o.seq).padStart(7)}  ${o.stream}  ${JSON.stringify(o.text)}`).join('\n') || 'No output.',
  },
  {
    names: ['where', 'w', 'bt'], usage: 'where', summary: 'the stack of the current thread',
    run: async (e) => {
      const stack = await e.stack();
      const sel = stack.length - 1 - e.selectedIndex;
      return {
        stack: stack.map((f, i) => ({
          frame: f.frame, depth: f.depth, file: e.frameFile(f), line: f.line, function: e.frameFunction(f), ...(i === sel ? { selected: true } : {}),
        })),
      };
    },
    text: (r) => (r.stack as any[]).map((f, i) => `${f.selected ? '>' : ' '} #${i} ${base(f.file)}:${f.line} ${f.function}()`).join('\n'),
  },
  {
    names: ['up', 'u'], usage: 'up', summary: 'select the caller of the selected frame',
    run: async (e) => frameResult(e, await e.select(1)),
    text: (r) => frameText(r),
  },
  {
    names: ['down'], usage: 'down', summary: 'select the callee of the selected frame',
    run: async (e) => frameResult(e, await e.select(-1)),
    text: (r) => frameText(r),
  },
  {
    names: ['locals'], usage: 'locals [all]', summary: 'the locals of the selected frame (all: with pytest\'s @py_assert temporaries)',
    run: async (e, arg) => ({ locals: e.localsJson((await e.selectedFrame()).locals, arg.trim() === 'all') }),
    text: (r) => Object.entries(r.locals as Record<string, JsonValue>).map(([k, v]) => `${k} = ${v.repr}`).join('\n') || '(no locals)',
  },
  {
    names: ['globals'], usage: 'globals', summary: 'the globals of the selected frame\'s module, as its functions left them',
    run: async (e) => {
      const f = await e.selectedFrame();
      if (!f.globals) throw new UserError(`the globals of ${e.frameFunction(f)}() were not recorded (its code runs outside a module's namespace, or the recording is older than Rewind's globals).`);
      return { globals: e.localsJson(f.globals, false) };
    },
    text: (r) => Object.entries(r.globals as Record<string, JsonValue>).map(([k, v]) => `${k} = ${v.repr}`).join('\n') || '(no globals)',
  },
  {
    names: ['print', 'p', 'pp'], usage: 'print EXPR', summary: 'evaluate an expression over the recorded locals, then globals',
    run: async (e, arg) => ({ value: await e.print(needArg(arg, 'print EXPR')) }),
    text: (r) => (r.value as JsonValue).repr,
  },
  {
    names: ['whatis'], usage: 'whatis EXPR', summary: 'the type of an expression\'s value',
    run: async (e, arg) => ({ type: (await e.print(needArg(arg, 'whatis EXPR'))).type }),
    text: (r) => String(r.type),
  },
  {
    names: ['args', 'a'], usage: 'args', summary: 'the arguments of the selected frame, as they are now',
    run: async (e) => ({ args: e.localsJson(await e.args(await e.selectedFrame())) }),
    text: (r) => Object.entries(r.args as Record<string, JsonValue>).map(([k, v]) => `${k} = ${v.repr}`).join('\n') || '(no arguments)',
  },
  {
    names: ['retval', 'rv'], usage: 'retval', summary: 'what the selected frame returns (the recording knows it ahead), or that it raises',
    run: async (e) => {
      const r = await e.returnValue(await e.selectedFrame());
      return { ...r, value: 'value' in r ? e.json(r.value) : undefined };
    },
    text: (r) => (r.how === 'returns' ? `${(r.value as JsonValue).repr}   (returned at event ${r.seq})`
      : r.how === 'raises' ? `(no return value: the frame ends by an exception, at event ${r.seq})`
        : '(no return value: the frame is still running where the recording ends)'),
  },
  {
    names: ['list', 'l'], usage: 'list', summary: 'the source around the current line',
    run: async (e) => {
      const f = await e.selectedFrame();
      return { ...(await e.source(f, f.line)) };
    },
    text: (r, e) => listText(r, e),
  },
  {
    names: ['display'], usage: 'display [EXPR]', summary: 'show EXPR at every stop; alone, what is displayed and its values',
    run: async (e, arg) => ({ display: arg.trim() ? [await e.addDisplay(arg.trim())] : await e.displays() }),
    text: (r) => (r.display as { expr: string; value: JsonValue }[]).map((d) => `display ${d.expr}: ${d.value.repr}`).join('\n') || '(nothing displayed)',
  },
  {
    names: ['undisplay'], usage: 'undisplay [EXPR]', summary: 'stop showing EXPR (alone: every display)',
    run: async (e, arg) => ({ undisplayed: e.removeDisplay(arg.trim() || undefined) }),
    text: (r) => `Not displayed: ${(r.undisplayed as string[]).join(', ') || '(nothing was)'}`,
  },
  {
    names: ['longlist', 'll'], usage: 'longlist', summary: 'the whole source of the selected frame\'s function',
    run: async (e) => {
      const f = await e.selectedFrame();
      return { ...(await e.functionSource(f)) };
    },
    text: (r, e) => listText(r, e),
  },
  {
    names: ['info'], usage: 'info', summary: 'the recording and where the cursor is',
    run: async (e) => {
      const m = e.rec.meta;
      return {
        recording: e.rec.path, argv: m.argv, python: m.python, events: m.counts.events, exitStatus: m.exitStatus,
        uncaught: m.uncaught, truncated: m.truncated, incomplete: incompleteness(m), position: e.position(),
      };
    },
    text: (r) => {
      const p = r.position as Position;
      const u = r.uncaught as { type: string; message: string | null } | null;
      return [
        `recording  ${r.recording}`, `program    ${(r.argv as string[]).join(' ')}`, `python     ${r.python}`,
        `events     ${r.events}${r.truncated ? ' (truncated)' : ''}`, `exit       ${r.exitStatus}${u ? ` (uncaught ${u.type}${u.message != null ? `: ${u.message}` : ''})` : ''}`,
        ...(r.incomplete ? [`incomplete ${r.incomplete}`] : []),
        `at         event ${p.seq}, ${base(p.file)}:${p.line} ${p.function}(), thread ${p.thread}`,
      ].join('\n');
    },
  },
  {
    names: ['help', 'h', '?'], usage: 'help [COMMAND]', summary: 'this list, or what one command does',
    run: async (_e, arg) => {
      const one = arg.trim();
      const cs = one ? [commandNamed(one)] : COMMANDS;
      return { help: cs.map((c) => ({ usage: c.usage, aliases: c.names.slice(1), summary: c.summary })) };
    },
    text: (r) => (r.help as { usage: string; aliases: string[]; summary: string }[])
      .map((c) => `  ${c.usage.padEnd(34)} ${c.summary}${c.aliases.length ? ` (also: ${c.aliases.join(', ')})` : ''}`).join('\n'),
  },
];

function frameResult(e: Engine, f: Awaited<ReturnType<Engine['selectedFrame']>>): Result {
  return { frame: f.frame, depth: f.depth, file: e.frameFile(f), line: f.line, function: e.frameFunction(f) };
}

function frameText(r: Result): string {
  return `> ${base(r.file as string)}:${r.line} ${r.function}()   [frame ${r.frame}, depth ${r.depth}]`;
}

function listText(r: Result, e: Engine): string {
  const bps = e.breakLines(r.file as string);
  return (r.lines as { line: number; text: string }[]).map((l) =>
    `${String(l.line).padStart(5)} ${bps.has(l.line) ? 'B' : ' '}${l.line === r.line ? '->' : '  '} ${l.text}`).join('\n');
}

const BY_NAME = new Map(COMMANDS.flatMap((c) => c.names.map((n) => [n, c] as const)));

/** The command called `name`, or a UserError that suggests the nearest one (a typo, pdb's spelling). */
function commandNamed(name: string): Command {
  const cmd = BY_NAME.get(name);
  if (cmd) return cmd;
  const near = [...BY_NAME.keys()].map((n) => [n, editDistance(n, name)] as const).filter(([n, d]) => d <= Math.max(1, Math.min(2, n.length - 2)))
    .sort((a, b) => a[1] - b[1])[0];
  throw new UserError(`unknown command '${name}'${near ? `; did you mean '${near[0]}'?` : ''} (type help for the list).`);
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

export function helpText(): string {
  return COMMANDS.map((c) => `  ${c.usage.padEnd(34)} ${c.summary}${c.names.length > 1 ? ` (also: ${c.names.slice(1).join(', ')})` : ''}`).join('\n');
}

/** Runs one command line. Errors meant for people come back as UserError. */
export async function execute(e: Engine, line: string): Promise<{ result: Result; text: () => Promise<string> }> {
  const m = /^\s*(\S+)\s*(.*)$/.exec(line);
  if (!m) throw new UserError('empty command.');
  const cmd = commandNamed(m[1]);
  const result = await cmd.run(e, m[2]);
  return { result, text: async () => cmd.text(result, e) };
}
