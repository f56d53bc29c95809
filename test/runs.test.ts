// A generator's runs, from its call or resume to the yield, return or unwind that ends it, as
// the store answers them (Recording.runAt: stepping over or out of generator code uses them),
// against the runs the recorded events themselves show.
import { beforeAll, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Level } from 'level';
import { key, keyInts, range } from '../src/store/layout.js';
import { Recording, packr } from '../src/store/store.js';
import { dump, rewind, tmp } from './helpers.js';

// Generators that live across many snapshot intervals (4,096 events), short ones, one left
// suspended for good and one still running when the program ends.
const PROGRAM = `import os


def counter(n):
    for i in range(n):
        yield i


def pairs(it):
    for x in it:
        yield x, x * 2


forever = counter(10 ** 9)
total = 0
for r in range(1500):
    for a, b in pairs(counter(r % 5 + 1)):
        total += a + b + next(forever)
stalled = counter(5)
next(stalled)


def last():
    yield 1
    print(total)
    os._exit(0)  # ends the program inside this run


for _ in last():
    pass
`;

type Run = [number, number | null];
let rec = '';
let runs: Map<number, Run[]>; // from the events: each generator frame's runs
let eventCount = 0;

beforeAll(() => {
  const dir = tmp();
  rec = join(dir, 'rec');
  writeFileSync(join(dir, 'gens.py'), PROGRAM);
  const r = rewind(['record', '--index', 'now', '-o', rec, join(dir, 'gens.py')]);
  expect(r.status, r.stderr).toBe(0);
  const events = dump(rec);
  eventCount = events.length;
  const open = new Map<number, number>();
  const all = new Map<number, Run[]>();
  for (const e of events) {
    if (e.kind === 'call' || e.kind === 'resume') open.set(e.frame, e.seq);
    else if (e.kind === 'yield' || ((e.kind === 'return' || e.kind === 'unwind') && all.has(e.frame))) {
      if (!all.has(e.frame)) all.set(e.frame, []);
      all.get(e.frame)!.push([open.get(e.frame)!, e.seq]);
    }
  }
  for (const [fid, start] of open) if (all.has(fid) && all.get(fid)!.at(-1)![1]! < start) all.get(fid)!.push([start, null]);
  runs = all;
});

/** What runAt must say for frame `fid` at `seq`: the run that began last at or before it. */
function expected(fid: number, seq: number): Run | undefined {
  const list = runs.get(fid)!;
  let lo = 0, hi = list.length; // the first run that begins after seq
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid][0] <= seq) lo = mid + 1; else hi = mid;
  }
  return list[lo - 1];
}

/** Around each run's start and end for every generator, and every seq of every tenth one's life. */
async function check(path: string) {
  const r = await Recording.open(path);
  try {
    let asked = 0, nth = 0;
    const wrong: string[] = [];
    for (const [fid, list] of runs) {
      const from = Math.max(0, list[0][0] - 2), to = Math.min(eventCount - 1, (list.at(-1)![1] ?? eventCount - 1) + 2);
      const seqs = nth++ % 10 === 0 && to - from < 3000 ? Array.from({ length: to - from + 1 }, (_, i) => from + i)
        : list.flatMap(([a, b]) => [a - 1, a, a + 1, ...(b === null ? [] : [b - 1, b, b + 1])]);
      for (const seq of seqs) {
        const got = await r.runAt(fid, seq), want = expected(fid, seq);
        if (got?.[0] !== want?.[0] || got?.[1] !== want?.[1]) wrong.push(`frame ${fid} at ${seq}: ${got} for ${want}`);
        asked++;
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    return asked;
  } finally {
    await r.close();
  }
}

it('answers the run of every generator at every event, across snapshot intervals', async () => {
  expect(runs.size).toBeGreaterThan(3000);
  const forever = [...runs.values()].find((l) => l.length === 4500)!;
  expect(forever.at(-1)![1]! - forever[0][0]).toBeGreaterThan(10 * 4096); // lives across many intervals
  expect([...runs.values()].some((l) => l.at(-1)![1] === null)).toBe(true); // running at the end
  expect(await check(rec)).toBeGreaterThan(40000);
});

it('stores the runs that ended in a snapshot interval as one record per generator', async () => {
  const db = new Level<Buffer, Buffer>(rec, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  let records = 0;
  for await (const _ of db.keys(range('G'))) records++;
  await db.close();
  const all = [...runs.values()].reduce((n, l) => n + l.length, 0);
  expect(records).toBeLessThan(all / 2);
});

it('a recording of format 6, one record per run, reads as it did', async () => {
  const db = new Level<Buffer, Buffer>(rec, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  const batch = db.batch();
  for await (const k of db.keys(range('G'))) batch.del(k);
  for (const [fid, list] of runs) for (const [start, end] of list) batch.put(key.run(fid, start), packr.pack(end));
  batch.put(key.version(), Buffer.from([0, 0, 0, 6]));
  await batch.write();
  for await (const k of db.keys(range('G'))) expect(keyInts(k)).toHaveLength(2);
  await db.close();
  expect(await check(rec)).toBeGreaterThan(40000);
});
