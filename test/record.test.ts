// `rewind record` end to end: the traced program must not notice, and the recording holds
// what ran (values, in-place mutation, redaction, SIGKILL).
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { readHeaderAt, readStream } from '../src/wire/rawfile.js';
import { CLI, PROGRAMS, ROOT, dump, frameRecords, markers, pythons, rewind, run, tmp } from './helpers.js';

const B = join(PROGRAMS, 'behaviour');
const stripSummary = (s: string) => s.replace(/(^|\n)rewind: recorded [^\n]*\n$/, '$1');

describe.each(pythons())('the program does not notice, on $label', ({ exe }) => {
  const cases: [string, string[], string][] = [
    ['normal exit', ['ok'], 'line one\nline two\n'],
    ['sys.exit(3)', ['exit3'], ''],
    ['sys.exit("message")', ['exitmsg'], ''],
    ['uncaught exception', ['raise'], ''],
    ['os._exit(4)', ['os_exit'], ''],
    ['killed by SIGTERM', ['sigterm'], ''],
    ['uncaught KeyboardInterrupt', ['interrupt'], ''],
  ];
  it.each(cases)('%s: same stdout, stderr, stdin handling and exit status', (_name, args, input) => {
    const script = join(B, 'io_and_exit.py');
    const plain = run(exe, [script, ...args], { input, cwd: B });
    const rec = join(tmp(), 'rec');
    const traced = rewind(['record', '--python', exe, '-o', rec, script, ...args], { input, cwd: B });
    expect(traced.stdout).toBe(plain.stdout);
    expect(stripSummary(traced.stderr)).toBe(plain.stderr);
    const status = plain.signal ? 128 + ({ SIGTERM: 15, SIGINT: 2 } as Record<string, number>)[plain.signal] : plain.status;
    expect(traced.status).toBe(status);
    const info = JSON.parse(rewind(['info', '--json', rec]).stdout);
    expect(info.truncated).toBe(false);
    if (plain.signal) expect(info.signal).toBe(plain.signal);
    else expect(info.exitStatus).toBe(plain.status);
  });

  it.each([['a script', ['main_namespace.py', 'x']], ['a module (-m)', ['-m', 'main_namespace', 'x']]])('%s sees the __main__, sys.path and argv Python gives it', (_name, args) => {
    const plain = run(exe, args, { cwd: B });
    expect(plain.stdout).toContain("names ['__name__', '__doc__'");
    const traced = rewind(['record', '--python', exe, '-o', join(tmp(), 'rec'), ...args], { cwd: B });
    expect(traced.stdout).toBe(plain.stdout);
  });

  it.each([['a script', ['main_namespace.py', 'x']], ['a module (-m)', ['-m', 'main_namespace', 'x']]])('under PYTHONSAFEPATH, %s gets no folder first on sys.path, as in a plain run', (_name, args) => {
    const env = { ...process.env, PYTHONSAFEPATH: '1' };
    const plain = run(exe, args, { cwd: B, env });
    const traced = rewind(['record', '--python', exe, '-o', join(tmp(), 'rec'), ...args], { cwd: B, env });
    expect(traced.stdout).toBe(plain.stdout);
    expect(stripSummary(traced.stderr)).toBe(plain.stderr);
    expect(traced.status).toBe(plain.status);
  });

  it.each([['on'], ['off']])('--accelerator %s: the streams and the objects\' lifetimes are the program\'s, to its last finalizer', (mode) => {
    const script = join(B, 'at_exit.py');
    const plain = run(exe, [script]);
    expect(plain.stdout).toContain("a global's finalizer runs at exit, module");
    const traced = rewind(['record', '--accelerator', mode, '--python', exe, '-o', join(tmp(), 'rec'), script]);
    expect(traced.stdout).toBe(plain.stdout);
    expect(stripSummary(traced.stderr)).toBe(plain.stderr);
  });

  it.each([['on'], ['off']])('--accelerator %s: a forked child is not recorded, and the parent\'s recording is its own history', (mode) => {
    const script = join(B, 'forks.py');
    const plain = run(exe, [script]);
    const rec = join(tmp(), 'rec');
    const traced = rewind(['record', '--accelerator', mode, '--python', exe, '-o', rec, script]);
    expect(traced.stdout).toBe(plain.stdout);
    expect(traced.status).toBe(0);
    const events = dump(rec);
    const calls = events.filter((e) => e.kind === 'call' && e.function === 'work');
    expect(calls.map((e) => e.args.tag.repr)).toEqual(["'parent'"]);
    expect(events.filter((e) => e.kind === 'output').map((e) => e.text)).toEqual(['parent 4498500\n']);
    expect(JSON.parse(rewind(['info', '--json', rec]).stdout).warnings ?? []).toEqual([]);
  });

  it('runs the program under two frames of the agent\'s, no more (each is one less before the recursion limit)', () => {
    const script = join(tmp(), 'depth.py');
    writeFileSync(script, 'import inspect\nprint(len(inspect.stack()))\n');
    expect(run(exe, [script]).stdout).toBe('1\n');
    expect(rewind(['record', '--python', exe, '-o', join(tmp(), 'rec'), script]).stdout).toBe('3\n');
  });

  it.each([['1'], ['']])('PYTHONDONTWRITEBYTECODE=%j: the program sees its own setting', (value) => {
    const script = join(tmp(), 'flag.py');
    writeFileSync(script, 'import sys\nprint(sys.dont_write_bytecode, sys.flags.dont_write_bytecode)\n');
    const env = { ...process.env, PYTHONDONTWRITEBYTECODE: value };
    const plain = run(exe, [script], { env });
    expect(plain.stdout).toBe(value ? 'True 1\n' : 'False 0\n');
    expect(rewind(['record', '--python', exe, '-o', join(tmp(), 'rec'), script], { env }).stdout).toBe(plain.stdout);
  });

  it('never calls user __repr__, __eq__, __hash__, __getattr__, __iter__, __str__ or properties', () => {
    const script = join(B, 'user_code.py');
    const plain = run(exe, [script]);
    expect(plain.stdout).toContain("['hash']"); // the program's own dict insert hashes once
    const rec = join(tmp(), 'rec');
    const traced = rewind(['record', '--python', exe, '-o', rec, script]);
    expect(traced.stdout).toBe(plain.stdout);
    const events = dump(rec);
    const spy = events.find((e) => e.kind === 'line' && e.changed?.s)?.changed.s;
    expect(spy).toEqual({ type: '__main__.Spy', repr: 'Spy(value=1)' });
    const lst = events.find((e) => e.kind === 'line' && e.changed?.lst)?.changed.lst;
    expect(lst).toEqual({ type: '__main__.SpyList', repr: 'SpyList([1, 2])' });
  });

  it('records the changed locals, in-place mutation and return values', () => {
    const script = join(PROGRAMS, 'classes.py');
    const rec = join(tmp(), 'rec');
    expect(rewind(['record', '--python', exe, '-o', rec, script]).status).toBe(0);
    const events = dump(rec);
    const m = markers(script);
    // self.balance += amount, seen through self at the next line of deposit
    const afterDeposit = events.filter((e) => e.kind === 'line' && e.function === 'Account.deposit' && e.line === m.deposit + 1);
    expect(afterDeposit.map((e) => e.changed.self?.repr)).toEqual([
      "Savings(owner='ann', balance=20, history=[])",
      "Savings(owner='ann', balance=120, history=[('deposit', 20)])",
      "Savings(owner='ann', balance=260, history=[('deposit', 20), ('deposit', 100)])",
    ]);
    // the module sees acct change after each call, and the cart's list grow in place
    const cart = events.filter((e) => e.kind === 'line' && e.changed?.cart).map((e) => e.changed.cart.repr);
    expect(cart).toEqual(['Cart(items=[])', "Cart(items=[('pen', 1.5)])"]);
    const p = events.filter((e) => e.kind === 'line' && e.changed?.p).map((e) => e.changed.p.repr);
    expect(p).toEqual(['Point(x=1, y=2)', 'Point(x=11, y=2)']);
    const ret = events.find((e) => e.kind === 'return' && e.function === 'Account.rich');
    expect(ret.value).toEqual({ type: 'bool', repr: 'True' });
  });

  it.each(['auto', 'off'])('a generator dropped while suspended is not resumed by a new one at its address (accelerator %s)', (mode) => {
    const script = join(B, 'dropped_generators.py');
    const rec = join(tmp(), 'rec');
    const r = rewind(['record', '--python', exe, '--accelerator', mode, '-o', rec, script]);
    expect(r.status, r.stderr).toBe(0);
    const events = dump(rec);
    // 5 rounds of 40 generators, each started once and resumed never: 200 frames of their own
    const frames = new Set(events.filter((e) => e.function === 'numbers').map((e) => e.frame));
    expect(frames.size).toBe(200);
    expect(events.filter((e) => e.kind === 'call' && e.function === 'numbers')).toHaveLength(200);
    // the standard library's exceptions (out of scope) are not taken for the dropped frames'
    expect(events.filter((e) => e.kind === 'exception' && e.function === 'numbers')).toHaveLength(0);
  });

  it.each(['auto', 'off'])('a generator freed while suspended ends there: its frame is not kept as suspended (accelerator %s)', async (mode) => {
    const script = join(B, 'dropped_generators.py');
    const rec = join(tmp(), 'rec');
    expect(rewind(['record', '--python', exe, '--accelerator', mode, '-o', rec, script]).status).toBe(0);
    const events = dump(rec);
    const numbers = new Set(events.filter((e) => e.function === 'numbers').map((e) => e.frame));
    const ends = (await frameRecords(rec)).filter((f) => f && numbers.has(f.frame));
    expect(ends).toHaveLength(200);
    // each one freed with its list, as drop_some returns, before the next event
    const returns = events.filter((e) => e.kind === 'return' && e.function === 'drop_some').map((e) => e.seq);
    for (const f of ends) {
      expect(f!.endKind).toBe('dropped');
      expect(returns).toContain(f!.end);
    }
    // a generator that runs to its end, or is closed while the agent looks, is not dropped
    expect((await frameRecords(rec)).filter((f) => f?.endKind === 'dropped')).toHaveLength(200);
  });

  it('redacts secrets inside the process', () => {
    const dir = tmp();
    const script = join(dir, 'secret.py');
    writeFileSync(script, [
      'import os',
      'db_password = "hun" + "ter2-" + os.environ.get("SUFFIX", "x")',  // never a literal in the source
      'class Conn:',
      '    def __init__(self):',
      '        self.api_key = db_password',
      'c = Conn()',
      'config = {"Authorization": db_password, "user": "ann"}',
      'print("ok")',
    ].join('\n'));
    const rec = join(dir, 'rec');
    expect(rewind(['record', '--python', exe, '-o', rec, script]).status).toBe(0);
    const text = rewind(['dump', '--json', rec]).stdout;
    expect(text).not.toContain('hunter2');
    expect(text).toContain('<redacted>');
    const raw = readdirSync(rec).map((f) => readFileSync(join(rec, f), 'latin1')).join('');
    expect(raw).not.toContain('hunter2');
  });

  it('SIGKILL: the recording opens, is marked truncated, and holds the last line executed', () => {
    const script = join(B, 'killed.py');
    const rec = join(tmp(), 'rec');
    const r = rewind(['record', '--python', exe, '-o', rec, script]);
    expect(r.status).toBe(128 + 9);
    expect(r.stdout).toBe('before kill 499500\n');
    const info = JSON.parse(rewind(['info', '--json', rec]).stdout);
    expect(info.truncated).toBe(true);
    expect(info.signal).toBe('SIGKILL');
    const lines = dump(rec).filter((e) => e.kind === 'line');
    expect(lines.at(-1).line).toBe(markers(script).kill);
    expect(lines.at(-2).changed).toEqual({}); // the print line ran before
  });

  it('records threads with their names and a -m module run', () => {
    const rec = join(tmp(), 'rec');
    const r = rewind(['record', '--python', exe, '-o', rec, '-m', 'threads_prog'], { cwd: PROGRAMS });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('6 3 3\n');
    const info = JSON.parse(rewind(['info', '--json', rec]).stdout);
    expect(info.threads.map((t: any) => t.name).sort()).toEqual(['MainThread', 'worker-a', 'worker-b']);
    const appends = dump(rec).filter((e) => e.kind === 'line' && e.line === markers(join(PROGRAMS, 'threads_prog.py')).append);
    expect(new Set(appends.map((e) => e.thread)).size).toBe(2);
  });
});

/** `rewind record OPTIONS -o REC PROGRAM MARKER` started in the background, for a test to act on it mid-way. */
function recordInBackground(options: string[], program: string, args: string[] = []) {
  const dir = tmp();
  const marker = join(dir, 'marker');
  const rec = join(dir, 'rec');
  const child = spawn(process.execPath, [CLI, 'record', ...options, '-o', rec, join(B, program), marker, ...args], { stdio: 'ignore' });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, exited, marker, rec };
}

describe('the rewind command (bin/rewind.js)', () => {
  const BIN = join(ROOT, 'bin/rewind.js');
  const script = join(tmp(), 'env.py');
  writeFileSync(script, 'import os\nprint(repr(os.environ.get("NODE_EXTRA_CA_CERTS")), sorted(k for k in os.environ if k.startswith("REWIND_NODE")))\n');
  // node warns when it cannot load the certificates: the warning shows whether node read them
  it.each([['set', '/nonexistent/certs.pem'], ['set and empty', ''], ['unset', undefined]])('NODE_EXTRA_CA_CERTS %s: node starts without it, and the program gets it as it was', (_name, value) => {
    const { NODE_EXTRA_CA_CERTS: _, ...env } = process.env;
    if (value !== undefined) env.NODE_EXTRA_CA_CERTS = value;
    const plain = run('python3', [script], { env });
    const traced = run(BIN, ['record', '-o', join(tmp(), 'rec'), script], { env });
    expect(traced.status).toBe(0);
    expect(traced.stdout).toBe(plain.stdout);
    expect(traced.stdout).toBe(`${value === undefined ? 'None' : `'${value}'`} []\n`);
    expect(stripSummary(traced.stderr)).toBe('');
  });
});

const until = async (ok: () => boolean, tries = 1200) => {
  for (let i = 0; i < tries && !ok(); i++) await new Promise((r) => setTimeout(r, 100));
};

describe('if the recorder goes away', () => {
  it('the program carries on, recorded to its end, and the recording opens whole', async () => {
    const { child, marker, rec } = recordInBackground([], 'outlives_recorder.py');
    // Killed once the program runs (it waits for that, then makes events).
    await until(() => existsSync(`${marker}.started`));
    child.kill('SIGKILL');
    await until(() => existsSync(marker));
    expect(readFileSync(marker, 'utf8')).toBe(`done ${(400000 * 399999) / 2}`);
    // Opened while the program still writes, it shows what has arrived and says so; once the
    // program is gone, opening it indexes what the agent wrote: all of it, up to the exit.
    let info: any = null;
    for (let i = 0; i < 600 && (!info || info.inProgress); i++) {
      const r = rewind(['info', '--json', rec]);
      if (r.status !== 0) throw new Error(r.stderr);
      info = JSON.parse(r.stdout);
      if (info.inProgress) await new Promise((res) => setTimeout(res, 100));
    }
    expect(info).toMatchObject({ exitStatus: 7, truncated: false });
    const lines = dump(rec).filter((e) => e.kind === 'line');
    expect(lines.at(-1).line).toBe(markers(join(B, 'outlives_recorder.py')).exit);
    expect(readdirSync(rec)).not.toContain('events.raw');
  });
});

describe('a recording still being recorded', () => {
  it('opens read-only with what has arrived so far, says it is incomplete, and is whole once the program ends', async () => {
    const { exited, marker, rec } = recordInBackground([], 'waits.py');
    await until(() => existsSync(`${marker}.started`));
    const lines = markers(join(B, 'waits.py'));
    let info: any = null;
    // Wait for the loop's line to arrive.
    for (let i = 0; i < 600; i++) {
      const r = rewind(['info', '--json', rec]);
      expect(r.status, r.stderr).toBe(0);
      info = JSON.parse(r.stdout);
      if (dump(rec).some((e) => e.kind === 'line' && e.line === lines.wait)) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(info.inProgress).toBe(true);
    expect(rewind(['info', rec]).stdout).toMatch(/incomplete\s+the program was still running when this was opened/);
    expect(dump(rec).some((e) => e.kind === 'line' && e.line === lines.after)).toBe(false);
    expect(readdirSync(rec)).toContain('events.raw'); // looking took nothing from the stream
    writeFileSync(`${marker}.go`, '');
    expect(await exited).toBe(0);
    const done = JSON.parse(rewind(['info', '--json', rec]).stdout);
    expect(done.inProgress).toBeUndefined();
    expect(done.exitStatus).toBe(0);
    expect(dump(rec).some((e) => e.kind === 'line' && e.line === lines.after)).toBe(true);
  });
});

describe('a signal while record --index now catches up', () => {
  it('ends it: the program is over, its recording is kept raw and opens whole', async () => {
    // The indexer must still be behind when the program ends: where it caught up first, the
    // same again with twice the events.
    let rec = '';
    for (let n = 1000000; !rec; n *= 2) {
      if (n > 8000000) throw new Error('the indexer kept up with every program: nothing to interrupt');
      const run = recordInBackground(['--index', 'now'], 'many_events.py', [String(n)]);
      // The program's pid is in the folder while it runs: signal once it is gone.
      const pidFile = join(run.rec, 'recording.pid');
      const pid = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split(' ')[1] ?? 0) : 0);
      await until(() => pid() > 0);
      const program = pid();
      const gone = () => { try { process.kill(program, 0); return false; } catch { return true; } };
      await until(gone);
      expect(existsSync(run.marker)).toBe(true);
      run.child.kill('SIGTERM');
      const status = await run.exited;
      // Indexed whole before the signal came (which then ends the recorder as any process): again.
      if (!readdirSync(run.rec).includes('events.raw')) continue;
      expect(status).toBe(0); // the program's status: it had finished
      rec = run.rec; // what was not indexed yet: kept raw
    }
    const info = JSON.parse(rewind(['info', '--json', rec]).stdout);
    expect(info).toMatchObject({ exitStatus: 0, truncated: false });
    expect(info.warnings).toBeUndefined();
    const tail = rewind(['dump', '--json', rec, '--from', String(info.counts.events - 20)]).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(tail.some((e) => e.kind === 'line' && e.line === markers(join(B, 'many_events.py')).done)).toBe(true);
  });
});

describe('Ctrl-C during long work', () => {
  it('stops indexing at once, says so, and the next open indexes the whole stream', async () => {
    const dir = tmp();
    const rec = join(dir, 'rec');
    // A few million events: seconds of indexing, long enough to be interrupted in the middle.
    writeFileSync(join(dir, 'loop.py'), 'total = 0\nfor i in range(1500000):\n    total += i\n');
    expect(rewind(['record', '-o', rec, join(dir, 'loop.py')]).status).toBe(0);
    const child = spawn(process.execPath, [CLI, 'info', '--json', rec]);
    let err = '';
    child.stderr.on('data', (b) => { err += b; });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    // Interrupted once LevelDB's files appear beside the stream: it is indexing.
    await until(() => existsSync(join(rec, 'CURRENT')) || child.exitCode !== null);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(err).toMatch(/^rewind: interrupted while indexing: the recording is kept as it was recorded; the next command that opens it indexes it again from the start\.\n$/);
    expect(readdirSync(rec)).toContain('events.raw');
    const info = rewind(['info', '--json', rec]);
    expect(info.status, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ exitStatus: 0, truncated: false });
    expect(readdirSync(rec)).not.toContain('events.raw');
  });
});

describe('a recording kept raw', () => {
  it('is indexed once, by whoever opens it first, however many open it at once', async () => {
    const rec = join(tmp(), 'rec');
    expect(rewind(['record', '-o', rec, join(B, 'long_run.py')]).status).toBe(0);
    expect(readdirSync(rec).sort()).toEqual(['events.raw', 'recorded.json']);
    const opens = [0, 1, 2].map(() => new Promise<{ status: number | null; out: string; err: string }>((res) => {
      const c = spawn(process.execPath, [CLI, 'info', '--json', rec]);
      let out = '', err = '';
      c.stdout.on('data', (b) => { out += b; });
      c.stderr.on('data', (b) => { err += b; });
      c.on('exit', (status) => res({ status, out, err }));
    }));
    const results = await Promise.all(opens);
    // Each one indexed it, or waited for the one that did, then read it beside the others.
    for (const r of results) expect(r.status, r.err).toBe(0);
    const counts = results.map((r) => JSON.parse(r.out).counts.events);
    expect(new Set(counts).size).toBe(1);
    expect(JSON.parse(rewind(['info', '--json', rec]).stdout).counts.events).toBe(counts[0]);
    expect(readdirSync(rec)).not.toContain('events.raw');
    expect(readdirSync(rec)).not.toContain('index.lock');
  });
});

describe.each(pythons())('the raw stream file, on $label', ({ exe }) => {
  const header = (rec: string) => {
    const fd = openSync(join(rec, 'events.raw'), 'r');
    try { return readHeaderAt(fd)!; } finally { closeSync(fd); }
  };

  it.each(['on', 'off'])('SIGKILL after megabytes of events (accelerator %s): what the agent placed and what it still staged read as one stream', (accelerator) => {
    const script = join(B, 'killed.py');
    const rec = join(tmp(), 'rec');
    const n = 100_000;
    const r = rewind(['record', '--python', exe, '--accelerator', accelerator, '-o', rec, script, String(n)]);
    expect(r.status, r.stderr).toBe(128 + 9);
    const h = header(rec);
    expect(h.placed).toBeGreaterThan(0); // the stage was placed at least once...
    expect(h.committed).toBeGreaterThan(h.placed); // ...and held the last events when the program was killed
    const info = JSON.parse(rewind(['info', '--json', rec]).stdout);
    expect(info).toMatchObject({ truncated: true, signal: 'SIGKILL' });
    expect(info.counts.lines).toBeGreaterThan(2 * n);
    const tail = dump(rec, ['--from', String(info.counts.events - 20)]).filter((e) => e.kind === 'line');
    expect(tail.at(-1).line).toBe(markers(script).kill);
    expect(tail.some((e) => e.changed?.total?.repr === String((n * (n - 1)) / 2))).toBe(true);
  });

  it('an event larger than the stage (a 1.5 MB source file) goes to its place whole', () => {
    const dir = tmp();
    const script = join(dir, 'big.py');
    const filler = `# ${'x'.repeat(98)}\n`.repeat(15_000);
    writeFileSync(script, `a = 1\n${filler}b = a + 1\nprint(b)\n`);
    for (const accelerator of ['on', 'off']) {
      const rec = join(dir, `rec-${accelerator}`);
      const r = rewind(['record', '--python', exe, '--accelerator', accelerator, '-o', rec, script]);
      expect(r.stdout).toBe('2\n');
      expect(header(rec).committed).toBeGreaterThan(1.5e6);
      const b = rewind(['replay', rec], { input: 'goto end\nlist\n' });
      expect(b.status, b.stderr).toBe(0);
      expect(b.stdout).toContain('b = a + 1');
      expect(dump(rec).filter((e) => e.kind === 'line').map((e) => e.line)).toEqual([1, 15_002, 15_003]);
    }
  });

  it('a stream written by an agent before the stage (framing 1: every byte at its place) reads the same', () => {
    const dir = tmp();
    const rec = join(dir, 'rec');
    expect(rewind(['record', '--python', exe, '-o', rec, join(B, 'killed.py'), '50000']).status).toBe(128 + 9);
    // The same stream as such an agent wrote it: the header, then the stream from byte 4096.
    const old = join(dir, 'old');
    mkdirSync(old);
    const h = header(rec);
    const fd = openSync(join(rec, 'events.raw'), 'r');
    const stream = (() => { try { return readStream(fd, h, 0, h.committed); } finally { closeSync(fd); } })();
    const head = Buffer.alloc(4096);
    head.write('REWINDRAW\x00\x00\x01', 'latin1');
    head.writeBigUInt64LE(BigInt(h.committed), 16);
    writeFileSync(join(old, 'events.raw'), Buffer.concat([head, stream]));
    writeFileSync(join(old, 'recorded.json'), readFileSync(join(rec, 'recorded.json')));
    expect(stream.length).toBe(h.committed);
    expect(rewind(['dump', old]).stdout).toBe(rewind(['dump', rec]).stdout);
  });
});

describe('the commit a recording was made at', () => {
  const git = (cwd: string, ...args: string[]) => {
    const r = run('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd });
    if (r.status !== 0) throw new Error(r.stderr);
    return r.stdout.trim();
  };
  const recordedAt = (cwd: string, script: string) => {
    const rec = join(tmp(), 'rec');
    expect(rewind(['record', '-o', rec, script], { cwd }).status).toBe(0);
    return JSON.parse(rewind(['info', '--json', rec]).stdout).gitCommit;
  };

  it('is the checked-out commit: a branch, packed refs, a worktree, a detached HEAD; none outside a repository', () => {
    const repo = tmp();
    mkdirSync(join(repo, 'pkg'));
    writeFileSync(join(repo, 'pkg', 'prog.py'), 'print("hi")\n');
    git(repo, 'init', '-q');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'first');
    const first = git(repo, 'rev-parse', 'HEAD');
    expect(recordedAt(repo, 'pkg/prog.py')).toBe(first);
    git(repo, 'commit', '-q', '--allow-empty', '-m', 'second');
    git(repo, 'pack-refs', '--all');
    expect(recordedAt(join(repo, 'pkg'), 'prog.py')).toBe(git(repo, 'rev-parse', 'HEAD'));
    const tree = join(tmp(), 'tree');
    git(repo, 'worktree', 'add', '-q', '-b', 'other', tree, first);
    expect(recordedAt(tree, 'pkg/prog.py')).toBe(first);
    git(repo, 'checkout', '-q', '--detach', first);
    expect(recordedAt(repo, 'pkg/prog.py')).toBe(first);
    const outside = tmp();
    writeFileSync(join(outside, 'prog.py'), 'print("hi")\n');
    expect(recordedAt(outside, 'prog.py')).toBeNull();
  });
});
