// The agent's C accelerator against the pure-Python agent, its reference: the same events and
// values for every test program on every interpreter under test; recording through the
// recursion limit; and what a person sees where the accelerator cannot be built.
import { describe, expect, it } from 'vitest';
import { closeSync, existsSync, openSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROGRAMS, ROOT, dump, frameRecords, pythons, rewind, run, tmp, type Run } from './helpers.js';
import { K, T, decodeEvents } from '../src/wire/protocol.js';
import { readHeaderAt, readStream } from '../src/wire/rawfile.js';

const AGENT = join(ROOT, 'agent');
const PROGS = [
  ...readdirSync(PROGRAMS).filter((f) => f.endsWith('.py')).sort(),
  'behaviour/shop.py', 'behaviour/user_code.py', 'behaviour/stress.py', 'behaviour/values.py', 'behaviour/slots.py',
  'behaviour/dropped_generators.py', 'behaviour/unchanged.py', 'behaviour/in_place.py', 'behaviour/calls_given.py',
  'real/star_import.py', 'real/equal_code.py', 'real/closures_free.py', 'real/comprehension_error.py', 'real/generated_code.py',
  '../../examples/orders.py',
];
// Sets of strs are encoded in their iteration order, which follows string hashes.
const SEEDED = { env: { ...process.env, PYTHONHASHSEED: '0' } };

/** Why the accelerator cannot be built for `exe`, or null if it can. */
function unavailable(exe: string): string | null {
  const r = run(exe, ['-c', `import sys; sys.path.insert(0, ${JSON.stringify(AGENT)})
from rewind_agent import accel
try:
    accel.load()
except accel.Unavailable as e:
    print(e)`]);
  return r.status === 0 && !r.stdout.trim() ? null : r.stdout.trim() || r.stderr.trim();
}

function recordWith(exe: string, mode: string, script: string): { run: Run; rec: string } {
  const rec = join(tmp(), 'rec');
  return { run: rewind(['record', '--python', exe, '--accelerator', mode, '-o', rec, script], SEEDED), rec };
}

/** A thread's ident is new on every run; the order of threads' events too. */
const perThread = (events: any[], withValues: boolean) => {
  const out = new Map<number, string[]>();
  for (const e of events) {
    const { seq, ...rest } = e;
    const text = withValues ? JSON.stringify(rest).replace(/_(native_id|ident)=\d+/g, '_$1=N')
      : `${e.kind} ${e.file}:${e.line} ${e.function}`;
    if (!out.has(e.thread)) out.set(e.thread, []);
    out.get(e.thread)!.push(text);
  }
  return [...out.values()];
};

describe.each(pythons())('the C accelerator on $label', ({ exe }) => {
  const why = unavailable(exe);
  if (why) console.warn(`test/accelerator.test.ts: SKIPPED on ${exe} — the accelerator cannot be built here: ${why}`);

  it.skipIf(why).each(PROGS)('%s: the same events, values and frame ends as the pure-Python agent', async (prog) => {
    const script = join(PROGRAMS, prog);
    const pure = recordWith(exe, 'off', script);
    const fast = recordWith(exe, 'on', script);
    expect(fast.run.status).toBe(pure.run.status);
    expect(fast.run.stdout).toBe(pure.run.stdout);
    let [a, b] = [dump(pure.rec), dump(fast.rec)];
    if (prog.startsWith('threads')) {
      // A global two threads change lands on whichever thread looks first (one GLOBALS event
      // per change seen): how many, and where, depends on timing. The rest must agree.
      [a, b] = [a, b].map((events) => events.filter((e: any) => e.kind !== 'globals'));
    }
    expect(b.length).toBe(a.length);
    if (prog.startsWith('threads')) {
      // Values a thread sees of the others' objects depend on timing: compare where each went.
      expect(perThread(b, false)).toEqual(perThread(a, false));
    } else {
      expect(b).toEqual(a);
      // how each frame ended: returned, unwound, or a generator's dropped while suspended (code
      // ids may be given in another order: the events above compare the functions' names)
      const ends = async (rec: string) => (await frameRecords(rec)).map((f) => f && { ...f, code: 0 });
      expect(await ends(fast.rec)).toEqual(await ends(pure.rec));
    }
  });

  it.skipIf(why)('records through the recursion limit, where the pure-Python agent stops', () => {
    const dir = tmp();
    const script = join(dir, 'deep.py');
    writeFileSync(script, [
      'def dive(n):',
      '    return dive(n + 1)',
      'try:',
      '    dive(0)',
      'except RecursionError as e:',
      '    caught = type(e).__name__',
      'after = caught',
      'print(after)',
      '',
    ].join('\n'));
    const { run: r, rec } = recordWith(exe, 'on', script);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('RecursionError\n');
    const info = JSON.parse(rewind(['info', '--json', rec]).stdout);
    expect(info.truncated).toBe(false);
    expect(info.accelerator).toBe('on');
    const last = dump(rec).filter((e) => e.kind === 'line' && e.changed?.after);
    expect(last.map((e) => e.changed.after.repr)).toEqual(["'RecursionError'"]);
  });
});

/** The agent's raw stream of `script` by the accelerator (`on`) or the pure-Python agent (`off`). */
function agentStream(exe: string, script: string, mode: string, env: NodeJS.ProcessEnv = {}): string {
  const out = join(tmp(), 't.raw');
  const r = run(exe, ['-m', 'rewind_agent', '--accelerator', mode, '-o', out, script], { env: { ...SEEDED.env, PYTHONPATH: AGENT, ...env } });
  expect(r.status, r.stderr).toBe(0);
  return out;
}

/** How many values of `kind` events (their name, value pairs from item `from`) a raw stream gives as arrays tagged `tag`. */
function tagged(raw: string, kind: number, from: number, tag: number): number {
  const fd = openSync(raw, 'r');
  try {
    const h = readHeaderAt(fd)!;
    return decodeEvents(readStream(fd, h, 0, h.committed)).events
      .filter((e): e is [number, ...unknown[]] => Array.isArray(e) && e[0] === kind)
      .flatMap((e) => e.slice(from + 1).filter((v, i) => i % 2 === 0 && Array.isArray(v) && v[0] === tag)).length;
  } finally { closeSync(fd); }
}

describe.each(pythons())('values changed in place, sent as patches, on $label', ({ exe }) => {
  const why = unavailable(exe);
  const script = join(PROGRAMS, 'behaviour/in_place.py');
  const stream = (mode: string) => agentStream(exe, script, mode);
  const patches = (raw: string) => tagged(raw, K.LINE, 2, T.PATCH);

  it.skipIf(why)('the accelerator sends them as patches, the pure-Python agent whole: read back, the same recording', () => {
    const [pure, fast] = [stream('off'), stream('on')];
    expect(patches(pure)).toBe(0);
    expect(patches(fast)).toBeGreaterThan(40);
    const [whole, patched] = [pure, fast].map((raw) => {
      const rec = join(tmp(), 'rec');
      const r = rewind(['import', raw, '-o', rec]);
      expect(r.status, r.stderr).toBe(0);
      return dump(rec);
    });
    expect(patched).toEqual(whole);
    // never a secret's: its value is redacted at every change
    const secret = patched.filter((e: any) => e.changed?.api_token).map((e: any) => e.changed.api_token.repr);
    expect(secret).toEqual(Array(5).fill('<redacted>'));
  });
});

describe('where the accelerator cannot be built', () => {
  const script = join(PROGRAMS, 'recursion.py');
  const noCompiler = () => ({ env: { ...process.env, CC: '/no/such/cc', REWIND_CACHE_DIR: tmp() } });

  it('auto records with the pure-Python agent and says so on the summary line', () => {
    const rec = join(tmp(), 'rec');
    const r = rewind(['record', '-o', rec, script], noCompiler());
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^rewind: recorded .* — exit status 0; indexed when first opened — pure-Python agent \(slower\): the C accelerator is unavailable: no C compiler was found \(\/no\/such\/cc\)\n$/);
    expect(rewind(['info', rec]).stdout).toMatch(/python .*pure-Python agent\)/);
  });

  it('on refuses in one sentence and begins no recording', () => {
    const rec = join(tmp(), 'rec');
    const r = rewind(['record', '--accelerator', 'on', '-o', rec, script], noCompiler());
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('rewind: the C accelerator cannot be used with python3: no C compiler was found (/no/such/cc).');
    expect(existsSync(rec)).toBe(false);
  });

  it('on an interpreter it was not built and tested for (pretending to be 3.14), auto records with the pure-Python agent and says why; on refuses', () => {
    const pretend = { env: { ...process.env, REWIND_ACCEL_PRETEND_VERSION: '3.14' } };
    const rec = join(tmp(), 'rec');
    const r = rewind(['record', '-o', rec, script], pretend);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/pure-Python agent \(slower\): the C accelerator is unavailable: it was built and tested for CPython 3\.11 to 3\.13, not cpython 3\.14\n$/);
    expect(rewind(['info', rec]).stdout).toMatch(/python .*pure-Python agent\)/);
    const refused = rewind(['record', '--accelerator', 'on', '-o', join(tmp(), 'rec'), script], pretend);
    expect(refused.status).toBe(2);
    expect(refused.stderr.trim()).toBe('rewind: the C accelerator cannot be used with python3: it was built and tested for CPython 3.11 to 3.13, not cpython 3.14.');
  });

  it('the standalone agent refuses in one sentence too', () => {
    const dir = tmp();
    const r = run('python3', ['-m', 'rewind_agent', '--accelerator', 'on', '-o', join(dir, 't.raw'), script],
      { env: { ...noCompiler().env, PYTHONPATH: AGENT } });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('rewind_agent: the C accelerator cannot be used: no C compiler was found (/no/such/cc).');
  });

  it('a mode that does not exist gets one sentence', () => {
    const r = rewind(['record', '--accelerator', 'fast', '-o', join(tmp(), 'rec'), script]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("rewind: --accelerator takes auto, on or off, not 'fast'.");
  });
});

describe.skipIf(unavailable('python3'))('the compiled accelerator', () => {
  it('is built once per interpreter and source, then reused', () => {
    const cache = tmp();
    const env = { env: { ...process.env, REWIND_CACHE_DIR: cache } };
    const script = join(PROGRAMS, 'recursion.py');
    expect(rewind(['record', '--accelerator', 'on', '-o', join(tmp(), 'a'), script], env).status).toBe(0);
    const built = readdirSync(join(cache, 'accel'));
    expect(built.length).toBe(1);
    const lib = join(cache, 'accel', built[0], readdirSync(join(cache, 'accel', built[0]))[0]);
    const when = statSync(lib).mtimeMs;
    expect(rewind(['record', '--accelerator', 'on', '-o', join(tmp(), 'b'), script], env).status).toBe(0);
    expect(readdirSync(join(cache, 'accel'))).toEqual(built);
    expect(statSync(lib).mtimeMs).toBe(when);
  });
});

describe.each(pythons())('arguments given as the caller\'s locals, on $label', ({ exe }) => {
  const why = unavailable(exe);
  const script = join(PROGRAMS, 'behaviour/calls_given.py');
  /** `whole`: every argument whole */
  const stream = (mode: string, whole: boolean) => agentStream(exe, script, mode, whole ? { REWIND_AGENT_WHOLE_ARGS: '1' } : {});
  const given = (raw: string) => tagged(raw, K.CALL, 3, T.CALLER);

  it.skipIf(why)('both agents give them; read back, the same recording as with every argument whole', () => {
    const [pure, fast, whole] = [stream('off', false), stream('on', false), stream('on', true)];
    expect(given(pure)).toBeGreaterThan(10);
    expect(given(fast)).toBe(given(pure));
    expect(given(whole)).toBe(0);
    const [a, b, c] = [pure, fast, whole].map((raw) => {
      const rec = join(tmp(), 'rec');
      const r = rewind(['import', raw, '-o', rec]);
      expect(r.status, r.stderr).toBe(0);
      return dump(rec);
    });
    expect(a).toEqual(c);
    expect(b).toEqual(c);
    // a secret's value is never given as the caller's, nor shown
    expect(c.filter((e: any) => e.changed?.api_token).map((e: any) => e.changed.api_token.repr)).toEqual(['<redacted>']);
  });
});
