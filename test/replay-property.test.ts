// Property test: random command sequences drive the indexed engine and the linear replayer
// (test/oracle/linear_replay.ts) over recordings of the fixture programs; after every command
// both stand on the same event.
import { beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PROGRAMS, ROOT, dump, pythons, rewind, tmp } from './helpers.js';
import { LinearReplay, type Cond, type Ev } from './oracle/linear_replay.js';

const { Engine } = await import(join(ROOT, 'dist/src/replay/engine.js'));

const programs = [
  ...readdirSync(PROGRAMS).filter((f) => f.endsWith('.py')).sort().map((f) => join(PROGRAMS, f)),
  join(PROGRAMS, 'behaviour/long_run.py'),
];

function rng(seed: number) {
  return () => (seed = (seed * 48271) % 2147483647) / 2147483647;
}

const cases = pythons().flatMap(({ exe, label }) => programs.map((script) => ({ exe, label, script, name: `${script.split('/').pop()} on ${label}` })));

describe.each(cases)('$name', ({ exe, script }) => {
  let rec: string;
  let events: Ev[];
  beforeAll(() => {
    rec = join(tmp(), 'rec');
    const r = rewind(['record', '--python', exe, '-o', rec, script]);
    expect([0, 1]).toContain(r.status);
    events = dump(rec);
  });

  it('every step, next and finish, both ways, from every line (or a sample), agrees', async () => {
    const engine = await Engine.open(rec);
    const oracle = new LinearReplay(events);
    try {
      const lines = events.filter((e) => e.kind === 'line');
      const every = Math.max(1, Math.floor(lines.length / 400));
      for (let i = 0; i < lines.length; i += every) {
        for (const [name, dir] of [['step', 1], ['step', -1], ['next', 1], ['next', -1], ['finish', 1], ['finish', -1]] as const) {
          oracle.goto(lines[i].seq);
          await engine.goto(lines[i].seq);
          const want = (oracle as any)[name](dir);
          const got = await (engine as any)[name](dir);
          expect({ seq: got.pos.seq, stop: got.stop }, `${dir > 0 ? '' : 'r'}${name} from ${lines[i].seq}`).toEqual({ seq: want.seq, stop: want.stop });
        }
      }
    } finally {
      await engine.close();
    }
  });

  it('history of every local agrees', async () => {
    const engine = await Engine.open(rec);
    const oracle = new LinearReplay(events);
    try {
      const names = [...new Set(events.flatMap((e) => [...Object.keys(e.changed ?? {}), ...Object.keys(e.args ?? {})]))];
      for (const name of names) {
        const got = [];
        for await (const piece of engine.history(name)) for (const h of piece) got.push({ seq: h.seq, frame: h.frame, changedBy: h.changedBy?.seq ?? null, old: h.old?.repr ?? null, new: h.new.repr });
        expect(got, `history ${name}`).toEqual(oracle.history(name));
      }
    } finally {
      await engine.close();
    }
  });

  it('every breakpoint says how often its line ran', async () => {
    const engine = await Engine.open(rec);
    try {
      const counts = new Map<string, number>();
      for (const e of events) if (e.kind === 'line') counts.set(`${e.file}:${e.line}`, (counts.get(`${e.file}:${e.line}`) ?? 0) + 1);
      for (const [where, n] of counts) expect(engine.describe(await engine.addBreak(where, null)).ran, where).toBe(n);
    } finally {
      await engine.close();
    }
  });

  it('engine and linear replayer agree on random command sequences', async () => {
    const rand = rng(script.length * 7919 + 17);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
    const lines = events.filter((e) => e.kind === 'line');
    const functions = [...new Set(events.filter((e) => e.kind === 'call').map((e) => e.function.split('.').pop()!))]
      .filter((f) => !f.startsWith('<'));
    const intLocals = [...new Set(events.flatMap((e) => Object.entries(e.changed ?? {}).filter(([, v]) => v.type === 'int').map(([k]) => k)))];
    const randomCond = (): Cond | null => (intLocals.length && rand() < 0.5
      ? { name: pick(intLocals), op: pick(['>', '==', '<'] as const), value: Math.floor(rand() * 6) } : null);
    const condText = (c: Cond | null) => (c ? ` if ${c.name} ${c.op} ${c.value}` : '');

    const stats = { moves: 0, breakpointStops: 0, watchStops: 0, ends: 0 };
    for (let round = 0; round < 6; round++) {
      const engine = await Engine.open(rec);
      const oracle = new LinearReplay(events);
      const log: string[] = [];
      try {
        for (let i = 0; i < 40; i++) {
          const r = rand();
          let cmd: string;
          let want: { seq: number; stop?: string } | null = null;
          let got: any = null;
          if (r < 0.45) {
            const [name, dir] = pick([['step', 1], ['step', -1], ['next', 1], ['next', -1], ['finish', 1], ['finish', -1]] as const);
            cmd = `${dir > 0 ? '' : 'r'}${name}`;
            want = (oracle as any)[name](dir);
            got = await (engine as any)[name === 'continue' ? 'cont' : name](dir);
          } else if (r < 0.62) {
            const dir = rand() < 0.5 ? 1 : -1;
            cmd = dir > 0 ? 'continue' : 'rcontinue';
            want = oracle.cont(dir);
            got = await engine.cont(dir);
          } else if (r < 0.77) {
            const seq = Math.floor(rand() * events.length);
            cmd = `goto ${seq}`;
            want = oracle.goto(seq);
            got = await engine.goto(seq);
          } else if (r < 0.85) {
            const l = pick(lines);
            const c = randomCond();
            cmd = `break ${l.file}:${l.line}${condText(c)}`;
            oracle.breakLine(l.file, l.line, c);
            await engine.addBreak(`${l.file}:${l.line}`, c ? condText(c).slice(4) : null);
          } else if (r < 0.89 && functions.length) {
            const f = pick(functions);
            const c = randomCond();
            cmd = `break ${f}${condText(c)}`;
            oracle.breakFunction(f, c);
            await engine.addBreak(f, c ? condText(c).slice(4) : null);
          } else if (r < 0.95) {
            let locals = Object.keys((await engine.selectedFrame()).locals.size ? engine.localsJson((await engine.selectedFrame()).locals) : {});
            if (!locals.length) continue;
            locals = locals.filter((n) => /^[A-Za-z_]\w*$/.test(n));
            if (!locals.length) continue;
            const name = pick(locals);
            cmd = `watch ${name}`;
            oracle.watch(name);
            await engine.addWatch(name);
          } else {
            const ids = oracle.ids();
            if (!ids.length) continue;
            const id = pick(ids);
            cmd = `delete ${id}`;
            oracle.delete(id);
            engine.deleteBreak(id);
          }
          log.push(cmd);
          if (want) {
            const at = `after: ${log.join('; ')}`;
            expect(got.pos.seq, at).toBe(want.seq);
            expect(got.stop, at).toBe(want.stop);
            stats.moves++;
            if (got.breakpoint !== undefined) stats.breakpointStops++;
            if (got.watch) stats.watchStops++;
            if (got.stop) stats.ends++;
          }
          expect(engine.seq).toBe(oracle.cursor);
        }
      } finally {
        await engine.close();
      }
    }
    // The sequences must exercise what they claim to: stops at breakpoints, not only at the ends.
    expect(stats.breakpointStops + stats.watchStops, JSON.stringify(stats)).toBeGreaterThan(0);
  });
});
