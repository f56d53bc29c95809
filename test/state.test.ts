// Random access: `rewind state --at SEQ` (snapshot + bounded replay) agrees, at points spread
// over a recording that spans several snapshots, with a linear scan of `rewind dump --json`.
// Also for a deep stack, whose snapshots are mostly deltas from an earlier full one, and for
// generator chains that leave and rejoin the stack between snapshots.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Level } from 'level';
import { range } from '../src/store/layout.js';
import { PROGRAMS, ROOT, dump, rewind, tmp } from './helpers.js';

interface F { frame: number; function: string; line: number; locals: Record<string, unknown> }

/** The oracle: states after each event, by walking every event from the start. */
function linearState(events: any[], upto: number): Map<number, F[]> {
  return walkEvents(events.slice(0, upto + 1), () => {});
}

/** Applies every event in order; `after` sees each with its thread's stack. */
function walkEvents(events: any[], after: (e: any, stack: F[]) => void): Map<number, F[]> {
  const threads = new Map<number, F[]>();
  const suspended = new Map<number, F>();
  for (const e of events) {
    if (!threads.has(e.thread)) threads.set(e.thread, []);
    const stack = threads.get(e.thread)!;
    if (e.kind === 'call') stack.push({ frame: e.frame, function: e.function, line: e.line, locals: { ...e.args } });
    else if (e.kind === 'resume') { stack.push(suspended.get(e.frame)!); suspended.delete(e.frame); }
    else if (e.kind === 'line') {
      const f = stack.at(-1)!;
      f.line = e.line;
      for (const [k, v] of Object.entries(e.changed)) {
        if ((v as any).type === 'unbound') delete f.locals[k]; else f.locals[k] = v;
      }
    } else if (e.kind === 'return' || e.kind === 'unwind') stack.pop();
    else if (e.kind === 'yield') suspended.set(e.frame, stack.pop()!);
    after(e, stack);
  }
  return threads;
}

const PROGRAMS_UNDER_TEST: [string, string[]][] = [
  ['a long run with threads and generators', [join(PROGRAMS, 'behaviour/long_run.py')]],
  ['work at the bottom of a 3,000-deep stack', [join(ROOT, 'bench/workloads/deep_work.py'), '3000', '12000']],
  ['generators in yield-from chains, resumed from stacks of varying depth', [join(PROGRAMS, 'behaviour/generator_chains.py')]],
  ['a 3,000-deep recursion that passes the same long string down', [join(PROGRAMS, 'behaviour/deep_text.py')]],
];

it('a snapshot writes a long value its frames all hold once (format 8)', async () => {
  const rec = join(tmp(), 'rec');
  expect(rewind(['record', '--index', 'now', '-o', rec, join(PROGRAMS, 'behaviour/deep_text.py')]).status).toBe(0);
  const db = new Level<Buffer, Buffer>(rec, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  const sizes: number[] = [];
  for await (const v of db.values(range('P'))) sizes.push(v.length);
  await db.close();
  // 1,597 frames hold the 600-character text when the first snapshot is taken: 1 MB written in each.
  expect(sizes.length).toBeGreaterThan(2);
  expect(Math.max(...sizes)).toBeLessThan(300_000);
});

describe.each(PROGRAMS_UNDER_TEST)('%s', (_name, program) => {
  const rec = join(tmp(), 'rec');
  const r = rewind(['record', '-o', rec, ...program]);
  const events = r.status === 0 ? dump(rec) : [];

  it('state at points across snapshots equals a linear replay', () => {
    expect(r.status, r.stderr).toBe(0);
    expect(events.length).toBeGreaterThan(3 * 4096);
    let seed = 11;
    const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const last = events.length - 1;
    const points = [0, 1, 4095, 4096, 4097, 8192, last, ...Array.from({ length: 14 }, () => Math.floor(rand() * last))];
    for (const at of points) {
      const s = rewind(['state', '--json', '--at', String(at), rec]);
      expect(s.status, s.stderr).toBe(0);
      const got = JSON.parse(s.stdout);
      expect(got.event.seq).toBe(at);
      const want = linearState(events, at);
      const simplify = (stack: any[]) => stack.map((f) => ({ frame: f.frame, function: f.function, line: f.line, locals: f.locals }));
      for (const t of got.threads) expect(simplify(t.stack), `at ${at}`).toEqual(simplify(want.get(t.thread) ?? []));
    }
  });

  it('hits of its busiest line, each with its locals, equal a linear replay', () => {
    const lines = new Map<string, number>();
    for (const e of events) if (e.kind === 'line') lines.set(`${e.file}:${e.line}`, (lines.get(`${e.file}:${e.line}`) ?? 0) + 1);
    const [where, count] = [...lines].sort((a, b) => b[1] - a[1])[0];
    expect(count).toBeGreaterThan(1000);
    const want: unknown[] = [];
    walkEvents(events, (e, stack) => {
      if (e.kind === 'line' && `${e.file}:${e.line}` === where) want.push({ seq: e.seq, frame: e.frame, locals: structuredClone(stack.at(-1)!.locals) });
    });
    const h = rewind(['hits', '--json', rec, where]);
    expect(h.status, h.stderr).toBe(0);
    const got = h.stdout.trim().split('\n').map((l) => JSON.parse(l)).map((x) => ({ seq: x.seq, frame: x.frame, locals: x.locals }));
    expect(got.length).toBe(count);
    expect(got).toEqual(want);
  });

  it('refuses a point past the end', () => {
    const s = rewind(['state', '--at', String(events.length), rec]);
    expect(s.status).not.toBe(0);
    expect(s.stderr.trim()).toMatch(/^rewind: --at \d+ is past the end/);
  });
});
