// Flight recorder (record --max-events / --max-size): a windowed recording of a deterministic
// program is exactly the tail of a full recording of it, opens and replays like one, says
// what it dropped, and keeps its disk use bounded while the program runs.
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, PROGRAMS, dump, rewind, tmp } from './helpers.js';
import { diskUse, peakDiskUse } from '../bench/disk.js';

const PROG = join(PROGRAMS, 'behaviour/long_run.py');
const INTERVAL = 16 * 256; // events per snapshot interval: what the flight recorder drops at a time
const ROUNDS = '3000';
const MAX = 50_000;

let full: string, win: string;
let all: any[];
let first: number; // the first event the flight recording kept

beforeAll(() => {
  const dir = tmp();
  full = join(dir, 'full');
  win = join(dir, 'win');
  for (const [out, extra] of [[full, []], [win, ['--max-events', String(MAX)]]] as const) {
    const r = rewind(['record', '-o', out, ...extra, PROG, ROUNDS]);
    expect(r.status, r.stderr).toBe(0);
  }
  all = dump(full);
  first = json(['info', '--json', win])[0].window.firstSeq;
});

const json = (args: string[]) => {
  const r = rewind(args);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
};

describe('a flight recording', () => {
  it('keeps whole intervals, at least --max-events and less than one interval more, and says so', () => {
    const [meta] = json(['info', '--json', win]);
    expect(meta.window.maxEvents).toBe(MAX);
    expect(first % INTERVAL).toBe(0);
    expect(first).toBeGreaterThan(0);
    const kept = meta.counts.events - first;
    expect(kept).toBeGreaterThanOrEqual(MAX);
    expect(kept).toBeLessThan(MAX + 2 * INTERVAL);
    expect(meta.counts.events).toBe(all.length);
    const text = rewind(['info', win]).stdout;
    expect(text).toMatch(new RegExp(`window +flight recorder \\(--max-events 50,000\\): kept events ${first} to ${all.length - 1}, dropped the first ${first.toLocaleString('en-US')}`));
  });

  it('holds exactly the events of a full recording from its first kept event on', () => {
    const got = dump(win);
    expect(got[0].seq).toBe(first);
    expect(got).toEqual(all.slice(first));
  });

  it('rebuilds the same state as the full recording anywhere it kept', () => {
    const last = all.length - 1;
    for (const at of [first, first + 1, first + INTERVAL - 1, first + INTERVAL, Math.floor((first + last) / 2), last]) {
      const [a] = json(['state', '--json', '--at', String(at), win]);
      const [b] = json(['state', '--json', '--at', String(at), full]);
      expect(a, `state at ${at}`).toEqual(b);
    }
  });

  it('answers queries with what the full recording says about the kept part', () => {
    const kept = (xs: { seq: number }[]) => xs.filter((x) => x.seq >= first);
    for (const q of [['history', '--json', '%', 'items'], ['exceptions', '--json', '%']]) {
      const w = json(q.map((a) => (a === '%' ? win : a)));
      const f = json(q.map((a) => (a === '%' ? full : a)));
      expect(w.length, q[0]).toBeGreaterThan(10);
      expect(w, q[0]).toEqual(kept(f));
    }
  });

  it('replays backwards to its first kept line and says why it stops there', () => {
    const r = rewind(['replay', '--json', win], { input: 'goto 0\ngoto ' + (first + 3) + '\nrstep\nrstep\nrstep\nrstep\nrstep\n' });
    expect(r.status, r.stderr).not.toBe(0);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(JSON.stringify(out)).toContain(`there is no event 0: the recording has events ${first} to ${all.length - 1} (the flight recorder dropped the earlier ones).`);
    expect(out.some((o) => o.stop === 'start' && o.seq >= first)).toBe(true);
    const state = rewind(['state', '--at', '5', win]);
    expect(state.status).not.toBe(0);
    expect(state.stderr.trim()).toBe(`rewind: --at 5 was dropped by the flight recorder: the recording has events ${first} to ${all.length - 1}.`);
  });

  it('refuses a limit that is not a number or a size, in one sentence', () => {
    const bad = rewind(['record', '--max-events', '0', PROG]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr.trim()).toBe("rewind: --max-events needs a positive whole number, not '0'.");
    const size = rewind(['record', '--max-size', 'lots', PROG]);
    expect(size.status).not.toBe(0);
    expect(size.stderr.trim()).toBe("rewind: --max-size needs a size such as 500MB or 2GB, not 'lots'.");
  });
});

it('keeps disk use bounded while a long run is recorded with --max-size', async () => {
  const dir = tmp();
  const out = join(dir, 'flight');
  const child = spawn(process.execPath, [CLI, 'record', '-o', out, '--max-size', '1MB', PROG, '40000'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const sampler = peakDiskUse(out);
  const status = await new Promise<number | null>((res) => child.on('exit', res));
  const peak = sampler.stop();
  expect(status).toBe(0);
  const [meta] = json(['info', '--json', out]);
  expect(meta.window.firstSeq).toBeGreaterThan(0);
  // Unbounded, this run takes about 18 MB of recording (2.2 million events) plus as much raw
  // stream; bounded, a few MB: the window, LevelDB's write buffer and one raw-stream window.
  expect(peak).toBeGreaterThan(0);
  expect(peak).toBeLessThan(6 << 20);
  expect(existsSync(out)).toBe(true);
  expect(diskUse(out)).toBeLessThan(4 << 20);
}, 180_000);
