// Random access: `rewind state --at SEQ` (snapshot + bounded replay) agrees, at points spread
// over a recording that spans several snapshots, with a linear scan of `rewind dump --json`.
import { beforeAll, expect, it } from 'vitest';
import { join } from 'node:path';
import { PROGRAMS, dump, rewind, tmp } from './helpers.js';

interface F { frame: number; function: string; line: number; locals: Record<string, unknown> }
let rec: string;
let events: any[];

beforeAll(() => {
  rec = join(tmp(), 'rec');
  const r = rewind(['record', '-o', rec, join(PROGRAMS, 'behaviour/long_run.py')]);
  expect(r.status, r.stderr).toBe(0);
  events = dump(rec);
  expect(events.length).toBeGreaterThan(3 * 4096);
});

/** The oracle: states after each event, by walking every event from the start. */
function linearState(upto: number): Map<number, F[]> {
  const threads = new Map<number, F[]>();
  const suspended = new Map<number, F>();
  for (const e of events.slice(0, upto + 1)) {
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
  }
  return threads;
}

it('state at points across snapshots equals a linear replay', () => {
  let seed = 11;
  const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const last = events.length - 1;
  const points = [0, 1, 4095, 4096, 4097, 8192, last, ...Array.from({ length: 14 }, () => Math.floor(rand() * last))];
  for (const at of points) {
    const r = rewind(['state', '--json', '--at', String(at), rec]);
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout);
    expect(got.event.seq).toBe(at);
    const want = linearState(at);
    const simplify = (stack: any[]) => stack.map((f) => ({ frame: f.frame, function: f.function, line: f.line, locals: f.locals }));
    for (const t of got.threads) expect(simplify(t.stack), `at ${at}`).toEqual(simplify(want.get(t.thread) ?? []));
  }
});

it('refuses a point past the end', () => {
  const r = rewind(['state', '--at', String(events.length), rec]);
  expect(r.status).not.toBe(0);
  expect(r.stderr.trim()).toMatch(/^rewind: --at \d+ is past the end/);
});
