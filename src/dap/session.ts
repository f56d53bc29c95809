// The Debug Adapter Protocol over a recording: what an IDE (VS Code, nvim-dap, Emacs' dape)
// asks, answered by the replay engine. A frontend like the TUI: it talks to the engine only.
//
// The program does not run: every request reads the recording, so "continue" and "reverse
// continue" are the same search in two directions, and the whole program is always stopped.
// Requests are answered one at a time, in order (the engine has one cursor).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DebugSession, Handles, InitializedEvent, OutputEvent, StoppedEvent, TerminatedEvent } from '@vscode/debugadapter';
import type { DebugProtocol as P } from '@vscode/debugprotocol';
import { Engine, type Move } from '../replay/engine.js';
import { execute } from '../replay/commands.js';
import type { LiveFrame } from '../replay/state.js';
import type { WireValue } from '../wire/protocol.js';
import { UserError } from '../errors.js';
import { outputPath } from '../recorder/record.js';
import { childrenOf, expandable } from './values.js';

const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));

export interface LaunchArgs {
  /** A recording folder or .rwd file to open... */
  recording?: string;
  /** ...or a program to record first (a script, or `module` for -m), with `args`, `python`, `cwd`. */
  program?: string;
  module?: string;
  args?: string[];
  python?: string;
  cwd?: string;
  /** Where the new recording goes (default: recordings/ under cwd), and more `rewind record` options. */
  output?: string;
  recordOptions?: string[];
  /** Start stopped at the first line (default), or run to the first breakpoint. */
  stopOnEntry?: boolean;
  /** Recorded paths as they are here: [{ remoteRoot: recorded prefix, localRoot: local prefix }]. */
  pathMappings?: { localRoot: string; remoteRoot: string }[];
}

/** What a variablesReference stands for: a frame's names, or a value to expand. */
type Ref = { names: Map<number, WireValue>; frame: LiveFrame } | { value: WireValue };

const EXCEPTION_FILTERS: P.ExceptionBreakpointsFilter[] = [
  { filter: 'raised', label: 'Raised Exceptions', description: 'Stop where any exception is raised', default: false },
  { filter: 'uncaught', label: 'Uncaught Exceptions', description: 'Stop where an exception nothing caught is raised', default: true },
];

export class RewindSession extends DebugSession {
  private e: Engine | null = null;
  private queue: Promise<void> = Promise.resolve();
  private refs = new Handles<Ref>();
  private frames = new Handles<LiveFrame>();
  /** Engine breakpoint ids by what set them: each setXBreakpoints request replaces its own. */
  private lineBps = new Map<string, number[]>();
  private functionBps: number[] = [];
  private dataBps: number[] = [];
  private exceptionBps: number[] = [];
  private logpointsShown = new Set<string>();
  private mappings: { localRoot: string; remoteRoot: string }[] = [];
  private stopOnEntry = true;
  private configured = false;
  /** Program output is shown as the cursor first goes past it: up to this event. */
  private outputShown = -1;
  private lastException: Move['exception'] | null = null;
  private gotoTargets = new Map<number, number>();
  private sources = new Map<number, P.Source>();
  private pendingStop: { m: Move; reason?: string } | null = null;

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  // Every request goes through here, in order: one engine, one cursor.
  protected dispatchRequest(request: P.Request): void {
    this.queue = this.queue.then(() => this.answer(request));
  }

  private async answer(request: P.Request) {
    const response: P.Response = { seq: 0, type: 'response', request_seq: request.seq, command: request.command, success: true };
    try {
      const handler = (this.handlers as Record<string, ((args: any) => Promise<unknown>) | undefined>)[request.command];
      if (!handler) throw new UserError(`Rewind does not support the '${request.command}' request.`);
      const body = await handler.call(this, request.arguments ?? {});
      if (body !== undefined) response.body = body;
      this.sendResponse(response);
    } catch (err) {
      this.pendingStop = null;
      response.success = false;
      response.message = err instanceof UserError ? err.message : `internal error: ${(err as Error).message} (please report this)`;
      this.sendResponse(response);
    }
    // A motion's stop is told after its response, as a running program's would come.
    const stop = this.pendingStop;
    this.pendingStop = null;
    if (stop) await this.tellStop(stop);
    if (request.command === 'disconnect') this.shutdown();
  }

  private get engine(): Engine {
    if (!this.e) throw new UserError('no recording is open: launch one first.');
    return this.e;
  }

  private readonly handlers = {
    initialize: async (): Promise<P.Capabilities> => ({
      supportsConfigurationDoneRequest: true,
      supportsStepBack: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsFunctionBreakpoints: true,
      supportsDataBreakpoints: true,
      supportsGotoTargetsRequest: true,
      supportsRestartFrame: true,
      supportsExceptionInfoRequest: true,
      exceptionBreakpointFilters: EXCEPTION_FILTERS,
      supportsEvaluateForHovers: true,
      supportsLoadedSourcesRequest: true,
      supportsTerminateRequest: true,
      supportsDelayedStackTraceLoading: false,
    }),

    launch: async (args: LaunchArgs) => {
      if (this.e) throw new UserError('a recording is open already.');
      this.mappings = args.pathMappings ?? [];
      this.stopOnEntry = args.stopOnEntry !== false;
      let path = args.recording;
      if (!path) {
        if (!args.program && !args.module) throw new UserError('launch needs "recording" (a recording folder or .rwd file) or "program" (a script to record).');
        path = await this.recordProgram(args);
      }
      this.e = await Engine.open(resolve(args.cwd ?? '.', path));
      this.sendEvent(new InitializedEvent());
    },

    configurationDone: async () => {
      this.configured = true;
      // Stopped at the first line, or (no stop on entry) run forwards to a breakpoint.
      if (this.stopOnEntry) this.stopped({ pos: this.engine.position() }, 'entry');
      else this.stopped(await this.engine.cont(1));
    },

    threads: async (): Promise<P.ThreadsResponse['body']> => {
      if (!this.e) return { threads: [] };
      return { threads: this.e.rec.threads.map((t) => ({ id: t.thread, name: t.name })) };
    },

    stackTrace: async (args: P.StackTraceArguments): Promise<P.StackTraceResponse['body']> => {
      const state = await this.engine.state();
      const stack = [...(state.threads.get(args.threadId) ?? [])].reverse(); // innermost first
      const from = args.startFrame ?? 0, to = args.levels ? from + args.levels : stack.length;
      const frames: P.StackFrame[] = [];
      for (const f of stack.slice(from, to)) {
        frames.push({ id: this.frames.create(f), name: this.engine.frameFunction(f), line: f.line, column: 1, source: await this.sourceOf(this.fileOf(f)) });
      }
      return { stackFrames: frames, totalFrames: stack.length };
    },

    scopes: async (args: P.ScopesArguments): Promise<P.ScopesResponse['body']> => {
      const f = this.frame(args.frameId);
      const scopes: P.Scope[] = [{ name: 'Locals', presentationHint: 'locals', variablesReference: this.refs.create({ names: f.locals, frame: f }), expensive: false }];
      if (f.globals && f.globals !== f.locals) scopes.push({ name: 'Globals', variablesReference: this.refs.create({ names: f.globals, frame: f }), expensive: false });
      return { scopes };
    },

    variables: async (args: P.VariablesArguments): Promise<P.VariablesResponse['body']> => {
      const ref = this.refs.get(args.variablesReference);
      if (!ref) throw new UserError(`there is no variable ${args.variablesReference} (it belonged to an earlier stop).`);
      const e = this.engine;
      let vars: P.Variable[];
      if ('names' in ref) {
        vars = [...ref.names].map(([id, v]) => ({ ...this.variable(e.rec.name(id), v), evaluateName: e.rec.name(id) }));
      } else {
        vars = childrenOf(ref.value, (id) => e.rec.name(id), (v) => e.json(v).repr).map((c) => c.value === undefined
          ? { name: c.name, value: `(${c.note})`, variablesReference: 0, presentationHint: { kind: 'virtual' } }
          : this.variable(c.name, c.value));
      }
      const from = args.start ?? 0;
      return { variables: args.count ? vars.slice(from, from + args.count) : vars.slice(from) };
    },

    evaluate: async (args: P.EvaluateArguments): Promise<P.EvaluateResponse['body']> => {
      const e = this.engine;
      // In the debug console, `:COMMAND` runs a replay command (history, hits, log, goto...).
      if (args.context === 'repl' && args.expression.startsWith(':')) {
        const before = e.seq;
        const r = await execute(e, args.expression.slice(1));
        const text = await r.text();
        if (e.seq !== before) this.stopped({ pos: e.position() }, 'goto');
        return { result: text, variablesReference: 0 };
      }
      const f = args.frameId !== undefined ? this.frame(args.frameId) : undefined;
      // `origin EXPR`: where the value came from (in the frame asked about).
      if (/^origin\s/.test(args.expression) && args.context !== 'hover') {
        const { origin, originArgs, originText } = await import('../replay/origin.js');
        const { expr, depth } = originArgs(args.expression.slice('origin'.length))!;
        return { result: originText(await origin(e, expr, depth, f)), variablesReference: 0 };
      }
      const v = await e.evaluate(args.expression, f);
      const shown = this.variable('', v);
      return { result: shown.value, type: shown.type, variablesReference: shown.variablesReference };
    },

    source: async (args: P.SourceArguments): Promise<P.SourceResponse['body']> => {
      const ref = args.source?.sourceReference ?? args.sourceReference;
      const file = ref ? ref - 1 : this.recordedFile(args.source?.path);
      const content = file === null ? null : (await this.engine.rec.file(file))?.source;
      if (content == null) throw new UserError('the source of this file was not recorded.');
      return { content, mimeType: 'text/x-python' };
    },

    loadedSources: async (): Promise<P.LoadedSourcesResponse['body']> => {
      const paths = await this.engine.rec.filePaths();
      const sources: P.Source[] = [];
      for (const id of paths.keys()) sources.push(await this.sourceOf(id));
      return { sources };
    },

    setBreakpoints: async (args: P.SetBreakpointsArguments): Promise<P.SetBreakpointsResponse['body']> => {
      const e = this.engine;
      const file = args.source.sourceReference ? args.source.sourceReference - 1 : this.recordedFile(args.source.path);
      const asked: P.SourceBreakpoint[] = args.breakpoints ?? (args.lines ?? []).map((line) => ({ line }));
      const key = file === null ? `?${args.source.path}` : String(file);
      for (const id of this.lineBps.get(key) ?? []) e.deleteBreak(id);
      this.lineBps.set(key, []);
      if (file === null) return { breakpoints: asked.map(() => ({ verified: false, message: 'this file was not recorded' })) };
      const path = e.path(file);
      const out: P.Breakpoint[] = [];
      for (const b of asked) {
        try {
          const at = await e.breakLine(path, b.line);
          const moved = at.movedFrom ? `line ${at.movedFrom} holds no code: moved to line ${at.line}, the next that ran` : undefined;
          const never = at.ran === 0 ? 'this line never ran in the recording' : undefined;
          if (b.logMessage) {
            await this.logpoint(`${path}:${at.line}`, b.logMessage, b.condition ?? null);
            out.push({ verified: true, line: at.line, source: await this.sourceOf(file), message: moved ?? never });
            continue;
          }
          const bp = await e.addBreak(`${path}:${at.line}`, b.condition || null);
          this.lineBps.get(key)!.push(bp.id);
          if (b.hitCondition) e.setHitCondition(bp.id, b.hitCondition);
          out.push({ id: bp.id, verified: true, line: at.line, source: await this.sourceOf(file), message: moved ?? never });
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
          out.push({ verified: false, line: b.line, message: err.message });
        }
      }
      return { breakpoints: out };
    },

    setFunctionBreakpoints: async (args: P.SetFunctionBreakpointsArguments): Promise<P.SetFunctionBreakpointsResponse['body']> => {
      const e = this.engine;
      for (const id of this.functionBps.splice(0)) e.deleteBreak(id);
      const out: P.Breakpoint[] = [];
      for (const b of args.breakpoints) {
        try {
          const bp = await e.addBreak(b.name, b.condition || null);
          this.functionBps.push(bp.id);
          if (b.hitCondition) e.setHitCondition(bp.id, b.hitCondition);
          out.push({ id: bp.id, verified: true });
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
          out.push({ verified: false, message: err.message });
        }
      }
      return { breakpoints: out };
    },

    setExceptionBreakpoints: async (args: P.SetExceptionBreakpointsArguments) => {
      const e = this.engine;
      for (const id of this.exceptionBps.splice(0)) e.deleteBreak(id);
      for (const f of args.filters) {
        if (f !== 'raised' && f !== 'uncaught') throw new UserError(`'${f}' is not an exception filter: use raised or uncaught.`);
        this.exceptionBps.push(e.breakOnExceptions(f === 'uncaught').id);
      }
      return { breakpoints: args.filters.map(() => ({ verified: true })) };
    },

    dataBreakpointInfo: async (args: P.DataBreakpointInfoArguments): Promise<P.DataBreakpointInfoResponse['body']> => {
      // A name in a frame's scope (or, without a variablesReference, an expression in a frame).
      const ref = args.variablesReference ? this.refs.get(args.variablesReference) : undefined;
      const f = ref && 'names' in ref ? ref.frame : args.frameId !== undefined ? this.frame(args.frameId) : ref ? undefined : await this.engine.selectedFrame();
      if (!f) return { dataId: null, description: 'only a variable of a frame can be watched (a local or a global), not an item inside a value' };
      const fn = this.engine.frameFunction(f);
      return { dataId: `${f.frame}:${args.name}`, description: `${args.name} in ${fn}()`, accessTypes: ['write'], canPersist: false };
    },

    setDataBreakpoints: async (args: P.SetDataBreakpointsArguments): Promise<P.SetDataBreakpointsResponse['body']> => {
      const e = this.engine;
      for (const id of this.dataBps.splice(0)) e.deleteBreak(id);
      const state = await e.state();
      const out: P.Breakpoint[] = [];
      for (const b of args.breakpoints) {
        const m = /^(\d+):(.*)$/s.exec(b.dataId);
        const frame = m ? [...state.threads.values()].flat().find((f) => f.frame === Number(m[1])) : undefined;
        if (!m || !frame) { out.push({ verified: false, message: 'the frame of this variable is not live here: stop inside it to watch it' }); continue; }
        try {
          const { bp } = await e.addWatch(m[2], frame);
          this.dataBps.push(bp.id);
          out.push({ id: bp.id, verified: true, message: `watching ${e.describe(bp).location}` });
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
          out.push({ verified: false, message: err.message });
        }
      }
      return { breakpoints: out };
    },

    continue: async (args: P.ContinueArguments) => {
      await this.motion(args.threadId, () => this.engine.cont(1));
      return { allThreadsContinued: true };
    },
    reverseContinue: (args: P.ReverseContinueArguments) => this.motion(args.threadId, () => this.engine.cont(-1)),
    next: (args: P.NextArguments) => this.motion(args.threadId, () => this.engine.next(1)),
    stepIn: (args: P.StepInArguments) => this.motion(args.threadId, () => this.engine.step(1)),
    stepOut: (args: P.StepOutArguments) => this.motion(args.threadId, () => this.engine.finish(1)),
    stepBack: (args: P.StepBackArguments) => this.motion(args.threadId, () => this.engine.next(-1)),
    pause: async () => { /* a recording never runs: it is always stopped */ },

    restartFrame: async (args: P.RestartFrameArguments) => {
      const f = this.frame(args.frameId);
      this.stopped(await this.engine.gotoFrameStart(f), 'restart');
    },

    gotoTargets: async (args: P.GotoTargetsArguments): Promise<P.GotoTargetsResponse['body']> => {
      const e = this.engine;
      const file = args.source.sourceReference ? args.source.sourceReference - 1 : this.recordedFile(args.source.path);
      if (file === null) throw new UserError('this file was not recorded.');
      const at = await e.breakLine(e.path(file), args.line);
      const targets: P.GotoTarget[] = [];
      this.gotoTargets.clear();
      const LIMIT = 200;
      hits: for await (const piece of e.hits(`${at.path}:${at.line}`, null)) {
        for (const hit of piece) {
          const id = targets.length + 1;
          this.gotoTargets.set(id, hit.seq);
          targets.push({ id, label: `#${id}: event ${hit.seq} in ${hit.function}()`, line: hit.line });
          if (targets.length >= LIMIT) break hits;
        }
      }
      if (!targets.length) throw new UserError(`line ${at.line} never ran in the recording.`);
      return { targets };
    },

    goto: async (args: P.GotoArguments) => {
      const seq = this.gotoTargets.get(args.targetId);
      if (seq === undefined) throw new UserError(`there is no goto target ${args.targetId}: ask for the line's targets first.`);
      this.stopped(await this.engine.goto(seq), 'goto');
    },

    exceptionInfo: async (): Promise<P.ExceptionInfoResponse['body']> => {
      const x = this.lastException;
      if (!x) throw new UserError('the cursor is not stopped at an exception.');
      return {
        exceptionId: x.type,
        description: x.message ?? undefined,
        breakMode: x.caught === false ? 'unhandled' : 'always',
        details: { typeName: x.type, message: x.message ?? undefined },
      };
    },

    terminate: async () => { this.sendEvent(new TerminatedEvent()); },

    disconnect: async () => {
      const e = this.e;
      this.e = null;
      await e?.close();
    },
  };

  // ---- helpers ----

  /** Runs a motion on thread `thread` (the cursor moves to it first) and reports the stop. */
  private async motion(thread: number, go: () => Promise<Move>) {
    if (!this.configured) throw new UserError('the session is not configured yet (configurationDone comes first).');
    await this.engine.focusThread(thread);
    this.stopped(await go());
  }

  /** The cursor stopped (`reason`, unless the move says why): told once the request is answered. */
  private stopped(m: Move, reason?: string) {
    this.pendingStop = { m, reason };
  }

  /** Tells the client where the cursor stopped, and why; new program output first. */
  private async tellStop({ m, reason }: { m: Move; reason?: string }) {
    const e = this.engine;
    this.refs.reset();
    this.frames.reset();
    this.lastException = m.exception ?? null;
    let why = reason ?? 'step', text: string | undefined;
    const hit = m.breakpoint !== undefined ? e.breakpoints().find((b) => b.id === m.breakpoint) : undefined;
    if (m.exception) {
      why = 'exception';
      text = `${m.exception.type}${m.exception.message != null ? `: ${m.exception.message}` : ''}`;
    } else if (m.watch) {
      why = 'data breakpoint';
      text = `${m.watch.expr}: ${m.watch.old.repr} → ${m.watch.new.repr}`;
    } else if (hit) {
      why = hit.kind === 'function' ? 'function breakpoint' : 'breakpoint';
    } else if (m.stop === 'end' || m.stop === 'start') {
      why = m.stop;
      text = `the ${m.stop} of the recording`;
    } else if (m.stop === 'outside') {
      text = 'the edge of the recorded code (its caller was not recorded)';
    }
    const ev = new StoppedEvent(why, m.pos.thread, text) as P.StoppedEvent;
    ev.body.allThreadsStopped = true;
    if (text) ev.body.description = text;
    if (hit && hit.kind !== 'exception') ev.body.hitBreakpointIds = [hit.id];
    if (m.watch) ev.body.hitBreakpointIds = [m.watch.id];
    await this.showOutput(m.pos.seq);
    this.sendEvent(ev);
  }

  /** Program output written between what was shown and event `upto`, as output events. */
  private async showOutput(upto: number) {
    if (upto <= this.outputShown) return;
    for await (const o of this.engine.rec.outputsBetween(this.outputShown, upto)) {
      this.sendEvent(new OutputEvent(o.text, o.stream === 2 ? 'stderr' : 'stdout'));
    }
    this.outputShown = upto;
  }

  /** A logpoint prints its message at every hit, in the order of the recording, when it is set. */
  private async logpoint(where: string, template: string, cond: string | null) {
    const key = JSON.stringify([where, template, cond]);
    if (this.logpointsShown.has(key)) return;
    this.logpointsShown.add(key);
    for await (const piece of this.engine.log(where, template, cond)) {
      for (const l of piece) this.sendEvent(new OutputEvent(`${l.text}\n`, 'console', { seq: l.seq }));
    }
  }

  private frame(id: number): LiveFrame {
    const f = this.frames.get(id);
    if (!f) throw new UserError(`there is no frame ${id} (it belonged to an earlier stop).`);
    return f;
  }

  private fileOf(f: LiveFrame): number { return this.engine.rec.codes[f.code]?.file ?? -1; }

  /** A value as a DAP variable: its repr, its type, and a reference when it can be expanded. */
  private variable(name: string, v: WireValue): P.Variable {
    const j = this.engine.json(v);
    const ref = expandable(v) ? this.refs.create({ value: v }) : 0;
    return { name, value: j.truncated ? `${j.repr} (truncated when recorded)` : j.repr, type: j.type, variablesReference: ref };
  }

  /**
   * The recorded file a client's path stands for: through pathMappings, the same path, or a
   * recorded path with the same tail (a checkout in another folder); null if none.
   */
  private recordedFile(local: string | undefined): number | null {
    if (!local) return null;
    const paths = [...this.engine.files];
    for (const m of this.mappings) {
      if (local.startsWith(m.localRoot)) {
        const recorded = m.remoteRoot + local.slice(m.localRoot.length);
        const hit = paths.find(([, p]) => p === recorded);
        if (hit) return hit[0];
      }
    }
    const exact = paths.find(([, p]) => p === local);
    if (exact) return exact[0];
    const parts = local.split(sep);
    for (let i = 1; i < parts.length; i++) {
      const tail = sep + parts.slice(i).join(sep);
      const found = paths.filter(([, p]) => p.endsWith(tail));
      if (found.length === 1) return found[0][0];
      if (found.length > 1) return null;
    }
    return null;
  }

  /**
   * A recorded file as a DAP source: by path where the file here is what was recorded,
   * otherwise by reference to the source the recording holds.
   */
  private async sourceOf(file: number): Promise<P.Source> {
    let s = this.sources.get(file);
    if (s) return s;
    const recorded = this.engine.path(file);
    const local = this.localPath(recorded);
    s = (await sameAsRecorded(local, this.engine, file))
      ? { name: basename(recorded), path: local }
      : { name: basename(recorded), path: recorded, sourceReference: file + 1, origin: 'recorded by Rewind', presentationHint: 'normal' };
    this.sources.set(file, s);
    return s;
  }

  private localPath(recorded: string): string {
    for (const m of this.mappings) if (recorded.startsWith(m.remoteRoot)) return m.localRoot + recorded.slice(m.remoteRoot.length);
    return recorded;
  }

  /** Records the program of a launch request (`rewind record`, as on the command line); its output goes to the client. */
  private recordProgram(a: LaunchArgs): Promise<string> {
    const cwd = resolve(a.cwd ?? '.');
    const argv = a.module ? [] : [a.program!, ...(a.args ?? [])];
    const out = outputPath({ out: a.output, force: false, module: a.module, argv, cwd });
    const args = [CLI, 'record', '-o', out, ...(a.python ? ['--python', a.python] : []), ...(a.recordOptions ?? []),
      ...(a.module ? ['-m', a.module, ...(a.args ?? [])] : [isAbsolute(a.program!) ? a.program! : join(cwd, a.program!), ...(a.args ?? [])])];
    return new Promise((res, rej) => {
      const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (b) => this.sendEvent(new OutputEvent(String(b), 'stdout')));
      child.stderr.on('data', (b) => this.sendEvent(new OutputEvent(String(b), 'stderr')));
      child.on('error', rej);
      child.on('exit', () => (existsSync(out) ? res(out) : rej(new UserError(`recording ${a.program ?? a.module} failed: see the output above.`))));
    });
  }
}

/** Is the file at `local` what was recorded (or is it all there is: its source was not recorded)? */
async function sameAsRecorded(local: string, e: Engine, file: number): Promise<boolean> {
  const recorded = (await e.rec.file(file))?.source;
  if (recorded == null) return existsSync(local);
  try {
    return readFileSync(local, 'utf8') === recorded;
  } catch {
    return false;
  }
}
