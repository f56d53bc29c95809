// Runs a Python program under the agent and turns its stream into a recording at `out`.
// The program owns the terminal: stdin, stdout and stderr are inherited untouched.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync, accessSync, constants } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants as osConstants } from 'node:os';
import type { Meta, RecordingWriter } from '../store/store.js';
import { UserError } from '../errors.js';
import type { Ending, Ingest, Limits } from './ingest.js';
import { beginRaw, endRaw, rawHeader, rawPath } from './deferred.js';
// The indexer (store, ingest, the stream reader) is loaded only where a recording is indexed
// here (--index now, the flight recorder, import): the default, raw, starts the program sooner.
import { checkPython } from './interpreters.js';
import { headCommit } from './git.js';

export const AGENT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../agent');

export interface AgentOptions {
  include?: string[];
  exclude?: string[];
  maxDepth?: number;
  maxItems?: number;
  maxString?: number;
  secrets?: string[];
  /** false: only `secrets` are redacted, not the agent's built-in secret names. */
  defaultSecrets?: boolean;
  env?: string[]; // globs of environment variables whose values are recorded
  accelerator?: Accelerator;
}

/** The agent's C accelerator: auto (where it builds), on (or fail), off (pure Python). */
export const ACCELERATOR_MODES = ['auto', 'on', 'off'] as const;
export type Accelerator = typeof ACCELERATOR_MODES[number];

export interface RecordOptions extends AgentOptions {
  python: string;
  out?: string;
  force?: boolean;
  module?: string;
  argv: string[]; // script and its args, or the module's args
  limits?: Limits; // flight recorder
  /** later (default): keep the agent's stream, index it when first opened; now: index it as it comes */
  index?: 'now' | 'later';
  /**
   * Regular expressions of secret values (record --redact-value): strings that match are replaced
   * as the recording is indexed (rewind redact's rule), and until then only the raw stream holds them.
   */
  redactValues?: string[];
}

/**
 * `meta` is null for a recording kept raw, to be indexed when first opened (deferred.ts).
 * `warned`: the agent said the recording misses something.
 */
export interface RecordResult {
  path: string; meta: Meta | null; status: number; warned: boolean;
  ending: { exitStatus: number | null; signal: string | null };
  /** A signal stopped the indexing: writes are still in flight; the caller exits without waiting for them. */
  abandoned?: true;
}

/** With --accelerator on: builds (or finds) the C accelerator before the program starts, or
 *  throws a UserError saying why it cannot be used, so that no recording is begun. */
export function checkAccelerator(python: string): void {
  const probe = `import sys; sys.path.insert(0, ${JSON.stringify(AGENT_DIR)})
from rewind_agent import accel
try:
    accel.load()
except accel.Unavailable as e:
    sys.exit(str(e))`;
  const r = spawnSync(python, ['-c', probe], { encoding: 'utf8' });
  if (r.status !== 0) {
    const why = (r.stderr ?? '').trim().split('\n').at(-1) || `exit status ${r.status}`;
    throw new UserError(`the C accelerator cannot be used with ${python}: ${why}.`, 'REWIND_ACCELERATOR');
  }
}

/** Agent command-line options (runner.py's parse_args). */
export function agentArgs(o: AgentOptions): string[] {
  const a: string[] = [];
  for (const g of o.include ?? []) a.push('--include', g);
  for (const g of o.exclude ?? []) a.push('--exclude', g);
  for (const s of o.secrets ?? []) a.push('--secret', s);
  if (o.defaultSecrets === false) a.push('--no-default-secrets');
  for (const g of o.env ?? []) a.push('--env', g);
  if (o.maxDepth) a.push('--max-depth', String(o.maxDepth));
  if (o.maxItems) a.push('--max-items', String(o.maxItems));
  if (o.maxString) a.push('--max-string', String(o.maxString));
  if (o.accelerator) a.push('--accelerator', o.accelerator);
  return a;
}

/** Where a new recording goes; refuses to clobber one unless forced. */
export function outputPath(o: { out?: string; force?: boolean; module?: string; argv: string[]; cwd?: string }): string {
  if (o.out) {
    const out = resolve(o.cwd ?? '.', o.out);
    if (existsSync(out) && !o.force) throw new UserError(`${o.out} already exists; pass --force to replace it.`, 'REWIND_EXISTS');
    const parent = dirname(out);
    if (!existsSync(parent)) throw new UserError(`cannot write ${o.out}: folder ${parent} does not exist.`, 'REWIND_OUTPUT');
    try { accessSync(parent, constants.W_OK); } catch {
      throw new UserError(`cannot write ${o.out}: folder ${parent} is not writable.`, 'REWIND_OUTPUT');
    }
    return out;
  }
  const name = (o.module ?? basename(o.argv[0] ?? 'program')).replace(/\.py$/, '').replace(/[^\w.-]+/g, '_');
  const d = new Date();
  const p2 = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${p2(d.getMonth() + 1)}${p2(d.getDate())}-${p2(d.getHours())}${p2(d.getMinutes())}${p2(d.getSeconds())}`;
  const dir = resolve(o.cwd ?? '.', 'recordings');
  try { mkdirSync(dir, { recursive: true }); } catch {
    throw new UserError(`cannot create the recordings folder ${dir}.`, 'REWIND_OUTPUT');
  }
  let out = join(dir, `${name}-${stamp}`);
  for (let i = 2; existsSync(out); i++) out = join(dir, `${name}-${stamp}-${i}`);
  return out;
}

/**
 * How far (stream bytes) the agent may run ahead of this recorder before it waits: where the
 * program makes events faster than they are stored, the raw stream between the two stays this
 * small, a fraction of a flight recording's size.
 */
function maxBacklog(limits?: Limits): number {
  const MiB = 2 ** 20;
  return limits?.maxBytes != null ? Math.min(64 * MiB, Math.max(MiB, Math.floor(limits.maxBytes / 4))) : 64 * MiB;
}

export async function record(o: RecordOptions): Promise<RecordResult> {
  if (!o.module) {
    const script = o.argv[0];
    if (!script) throw new UserError('no script to record: give a script (rewind record prog.py) or a module (rewind record -m mod).');
    if (!existsSync(script)) throw new UserError(`script ${script} does not exist.`, 'REWIND_NO_SCRIPT');
    if (statSync(script).isDirectory()) throw new UserError(`${script} is a folder, not a Python script.`, 'REWIND_NO_SCRIPT');
  }
  checkPython(o.python);
  if (o.accelerator === 'on') checkAccelerator(o.python);
  const out = outputPath(o);
  const flight = o.limits?.maxEvents != null || o.limits?.maxBytes != null;
  return flight || o.index === 'now' ? recordLive(o, out, flight) : recordRaw(o, out);
}

/** The program's exit as the OS tells it. */
interface Exit { code: number | null; signal: NodeJS.Signals | null }

/**
 * Runs the program under the agent (writing `raw`, with `extra` agent options) and forwards
 * the signals a job control or CI sends us. `exited` is set once it is over.
 */
function runProgram(o: RecordOptions, raw: string, extra: string[]): { done: Promise<Exit>; exited: () => Exit | null; pid?: number } {
  const args = [join(AGENT_DIR, 'boot.py'), '-o', raw, '--parent', String(process.pid), ...extra,
    ...agentArgs(o), ...(o.module ? ['-m', o.module] : ['--']), ...o.argv];
  const child = spawn(o.python, args, { stdio: 'inherit' });
  // The terminal's Ctrl-C reaches the program by itself; we stay to finish the recording.
  const ignore = () => {};
  const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
  const handlers: [NodeJS.Signals, () => void][] = [['SIGINT', ignore], ['SIGTERM', forward('SIGTERM')], ['SIGHUP', forward('SIGHUP')]];
  for (const [s, h] of handlers) process.on(s, h);
  let exit: Exit | null = null;
  const done = new Promise<Exit>((res) => {
    const over = (e: Exit) => {
      if (exit) return;
      exit = e;
      for (const [s, h] of handlers) process.off(s, h);
      res(e);
    };
    child.on('exit', (code, signal) => over({ code, signal }));
    child.on('error', () => over({ code: 127, signal: null }));
  });
  return { done, exited: () => exit, pid: child.pid };
}

const exitStatusOf = (ex: Exit) => (ex.signal ? 128 + (osConstants.signals[ex.signal] ?? 0) : (ex.code ?? 1));
const gitOf = (o: RecordOptions) => headCommit(o.module ? process.cwd() : dirname(resolve(o.argv[0])));

/**
 * The program runs at the agent's own pace: its stream goes to disk as it comes, and is indexed
 * when the recording is first opened (or at once, when the caller asks: indexRaw). If this
 * recorder dies, the program records on and the stream stays recoverable.
 */
async function recordRaw(o: RecordOptions, out: string): Promise<RecordResult> {
  const prog = startRaw(o, out);
  // The summary line reads the stream's HELLO: its decoder loads while the program runs, not after.
  void import('../wire/protocol.js');
  const ex = await prog.done;
  return endRawRecording(out, ex, prog.git, o.redactValues);
}

/** Creates `out` as a recording kept raw and starts the program writing its stream there. */
function startRaw(o: RecordOptions, out: string): ReturnType<typeof runProgram> & { git: string | null } {
  try {
    if (existsSync(out)) rmSync(out, { recursive: true, force: true }); // --force: outputPath refused otherwise
    mkdirSync(out);
    beginRaw(out);
  } catch (e) {
    throw new UserError(`cannot create the recording at ${out} (${(e as Error).message}).`, 'REWIND_OUTPUT');
  }
  const prog = runProgram(o, rawPath(out), []);
  beginRaw(out, prog.pid);
  return { ...prog, git: gitOf(o) };
}

/** The program is over: `out` stays a recording kept raw, indexed when first opened. */
function endRawRecording(out: string, ex: Exit, gitCommit: string | null, redactValues?: string[]): RecordResult {
  endRaw(out, { exitStatus: ex.signal ? null : ex.code, signal: ex.signal, gitCommit, end: Date.now() / 1000, ...(redactValues?.length ? { redactValues } : {}) });
  if (!existsSync(rawPath(out))) {
    rmSync(out, { recursive: true, force: true });
    throw new UserError(`the program could not be started under the agent (exit status ${exitStatusOf(ex)}); nothing was recorded.`, 'REWIND_AGENT');
  }
  return { path: out, meta: null, status: exitStatusOf(ex), ending: { exitStatus: ex.signal ? null : ex.code, signal: ex.signal }, warned: rawHeader(out)?.warned ?? false };
}

/**
 * The stream is indexed as it comes, on the other core: the recording is ready when the
 * command returns, a little after the program. Without limits the stream is kept raw in `out`
 * meanwhile, so Ctrl-C or SIGTERM while indexing catches up, or a recorder that dies, leaves a
 * recording kept raw, indexed when first opened. The flight recorder drops the oldest part as
 * it goes: its stream lies beside, given back as it is read, and the program waits when too
 * far ahead; interrupted, it keeps what is indexed and says the end is missing.
 */
async function recordLive(o: RecordOptions, out: string, flight: boolean): Promise<RecordResult> {
  const partial = await PartialRecording.create(out, o.limits);
  const raw = flight ? `${out}.raw-${process.pid}` : rawPath(out);
  let prog: ReturnType<typeof startRaw>;
  try {
    prog = flight
      ? { ...runProgram(o, raw, ['--max-backlog', String(maxBacklog(o.limits))]), git: gitOf(o) }
      : startRaw(o, out);
  } catch (e) {
    await partial.abort();
    throw e;
  }
  // Once the program is over, a signal stops the indexing that catches up, not the program.
  let interrupted = false;
  let signalled = () => {};
  const signal = new Promise<null>((res) => { signalled = () => res(null); });
  const stop = () => { interrupted = true; signalled(); };
  void prog.done.then(() => { process.on('SIGINT', stop); process.on('SIGTERM', stop); });
  const { tailRaw } = await import('./tail.js');
  try {
    for await (const chunk of tailRaw(raw, () => prog.exited() !== null, undefined, flight)) {
      if (interrupted) break;
      await partial.ingest.feed(chunk);
    }
    const ex = await prog.done;
    const asRaw = async () => {
      partial.drop();
      return { ...endRawRecording(out, ex, prog.git, o.redactValues), abandoned: true as const };
    };
    if (interrupted && !flight) return asRaw();
    if (interrupted) partial.ingest.warnings.push({ seq: partial.ingest.seq, code: 'indexing-interrupted', message: 'rewind record was interrupted while it indexed the end of the run: that part is missing' });
    const ending: Ending = {
      exitStatus: ex.signal ? null : ex.code,
      signal: ex.signal,
      // Only SIGKILL can stop the agent halfway through an event; other ends commit whole events.
      truncated: !interrupted && partial.ingest.end === null && ex.signal === 'SIGKILL',
    };
    // Writing out what is indexed takes a while too: a signal then leaves the recording raw.
    const meta = await Promise.race([partial.complete(ending, prog.git, o.redactValues), flight ? new Promise<null>(() => {}) : signal]);
    if (meta === null) return asRaw();
    return { path: out, meta, status: exitStatusOf(ex), ending, warned: meta.warnings !== undefined };
  } catch (e) {
    await partial.abort();
    throw e;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (flight) rmSync(raw, { force: true });
  }
}

/**
 * A recording being built in a `.partial-PID` folder beside `out`. `complete` moves it into
 * place; `abort` removes it and leaves `out` as it was.
 */
class PartialRecording {
  private constructor(private out: string, private partial: string, private writer: RecordingWriter, readonly ingest: Ingest) {}

  static async create(out: string, limits?: Limits): Promise<PartialRecording> {
    const partial = `${out}.partial-${process.pid}`;
    // A flight recording kept small keeps LevelDB's unflushed log, which it does not count, small too.
    const buffer = limits?.maxBytes != null ? Math.min(4 * 2 ** 20, Math.max(2 ** 20, limits.maxBytes)) : undefined;
    const [{ RecordingWriter: Writer, BATCH_BYTES }, { Ingest: Indexer }] = await Promise.all([import('../store/store.js'), import('./ingest.js')]);
    const writer = await Writer.create(partial, buffer).catch((e) => {
      throw new UserError(`cannot create the recording at ${out} (${e.message}).`, 'REWIND_OUTPUT');
    });
    if (!limits) writer.minBatchBytes = BATCH_BYTES; // not the flight recorder: the stream stays on disk until the end
    return new PartialRecording(out, partial, writer, new Indexer(writer, limits));
  }

  async complete(ending: Ending, gitCommit: string | null, redactValues?: string[]): Promise<Meta> {
    let meta = await this.ingest.finish(ending, { gitCommit });
    await this.writer.close();
    if (redactValues?.length) meta = await redactValuesIn(this.partial, redactValues);
    if (existsSync(this.out)) rmSync(this.out, { recursive: true, force: true });
    renameSync(this.partial, this.out);
    return meta;
  }

  async abort() {
    await this.writer.close().catch(() => {});
    rmSync(this.partial, { recursive: true, force: true });
  }

  /** Removes it at once, its writes still in flight (the process is about to exit: see RecordResult.abandoned). */
  drop() {
    rmSync(this.partial, { recursive: true, force: true });
  }
}

/** Applies record --redact-value to a recording just indexed (rewind redact's rewrite, in place); its metadata. */
async function redactValuesIn(dir: string, values: string[]): Promise<Meta> {
  const { redactRecording } = await import('../store/redact.js');
  await redactRecording(dir, null, { names: [], values });
  const { Recording } = await import('../store/store.js');
  const rec = await Recording.open(dir);
  await rec.close();
  return rec.meta;
}

/** Turns a raw stream written by the agent alone (python3 -m rewind_agent) into a recording. */
export async function importRaw(rawPath: string, o: { out: string; force?: boolean }, progress?: (bytes: number) => void): Promise<RecordResult & { meta: Meta }> {
  if (!existsSync(rawPath)) throw new UserError(`${rawPath} does not exist.`, 'REWIND_NOT_FOUND');
  const out = outputPath({ out: o.out, force: o.force, argv: [] });
  const partial = await PartialRecording.create(out);
  const { ingestStream } = await import('./tail.js');
  try {
    const state = await ingestStream(rawPath, partial.ingest, progress);
    const truncated = !state.closed || partial.ingest.end === null;
    const meta = await partial.complete({ exitStatus: null, signal: null, truncated }, null);
    return { path: out, meta, status: 0, warned: meta.warnings !== undefined, ending: { exitStatus: meta.exitStatus, signal: null } };
  } catch (e) {
    await partial.abort();
    if (e instanceof UserError) throw e;
    throw new UserError(`${rawPath} is not a readable Rewind raw stream (${(e as Error).message}).`, 'REWIND_BAD_RAW');
  }
}
