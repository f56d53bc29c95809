// The indexes (layout.ts: 'L' lines, 'V' names, 'C' codes): the blocks each lists are those whose
// events show it, found by reading every block; from any block, both ways, spread out as a
// timeline asks; and a recording of format 8, a record per block, answers the same.
import { beforeAll, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Level } from 'level';
import { INDEX_GROUP, key, keyInts, range } from '../src/store/layout.js';
import { EK, Recording, packr } from '../src/store/store.js';
import { rewind, tmp } from './helpers.js';

const PROGRAM = `def square(n):
    return n * n


def cube(n):
    c = n * n * n
    return c


total = 0
for i in range(6000):
    if i % 7 == 0:
        total += cube(i)
    else:
        total += square(i)
print(total)
`;

type Index = { name: string; query: (rec: Recording, from: number, reverse: boolean, spread: number) => AsyncGenerator<number>; blocks: number[] };

async function collect(g: AsyncGenerator<number>): Promise<number[]> {
  const out: number[] = [];
  for await (const b of g) out.push(b);
  return out;
}

/** What a query from `from` gives, from the blocks in order: the first of each run of `spread`. */
function expected(blocks: number[], from: number, reverse: boolean, spread: number): number[] {
  const out: number[] = [];
  let next = from;
  for (const b of reverse ? [...blocks].reverse() : blocks) {
    if (reverse ? b > next : b < next) continue;
    out.push(b);
    if (spread > 1) next = reverse ? b - (b % spread) - 1 : b - (b % spread) + spread;
  }
  return out;
}

let rec: string;
let lastBlock = 0;
const indexes: Index[] = [];

beforeAll(async () => {
  const dir = tmp();
  rec = join(dir, 'rec');
  writeFileSync(join(dir, 'prog.py'), PROGRAM);
  expect(rewind(['record', '--index', 'now', '-o', rec, join(dir, 'prog.py')]).status).toBe(0);
  // Every block read: which lines ran, which names changed, which codes were called in each.
  const r = await Recording.open(rec);
  const lines = new Map<string, Set<number>>(), names = new Map<number, Set<number>>(), codes = new Map<number, Set<number>>();
  const add = <K>(m: Map<K, Set<number>>, k: K, b: number) => { if (!m.has(k)) m.set(k, new Set()); m.get(k)!.add(b); };
  for await (const [seq, e] of r.events(0, r.meta.counts.events - 1)) {
    const b = Math.floor(seq / 256);
    lastBlock = b;
    if (e[0] === EK.LINE) add(lines, `${r.codes[e[4]].file}:${e[5]}`, b);
    if (e[0] === EK.CALL) add(codes, e[4], b);
    if ((e[0] === EK.LINE || e[0] === EK.CALL || e[0] === EK.GLOBALS) && Array.isArray(e[6])) {
      for (let i = 0; i < e[6].length; i += 2) add(names, e[6][i] as number, b);
    }
  }
  await r.close();
  const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
  for (const [fl, s] of lines) {
    const [file, line] = fl.split(':').map(Number);
    indexes.push({ name: `line ${fl}`, query: (x, f, rev, sp) => x.lineBlocks(file, line, f, rev, sp), blocks: sorted(s) });
  }
  for (const [n, s] of names) indexes.push({ name: `name ${n}`, query: (x, f, rev, sp) => x.varBlocks(n, f, rev, sp), blocks: sorted(s) });
  for (const [c, s] of codes) indexes.push({ name: `code ${c}`, query: (x, f, rev, sp) => x.codeBlocks(c, f, rev, sp), blocks: sorted(s) });
}, 120_000);

/** Every query of every index: from several blocks, both ways, several spreads. */
async function answers(r: Recording): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const ix of indexes) {
    for (const from of [0, 1, INDEX_GROUP - 1, INDEX_GROUP, 2 * INDEX_GROUP + 5, Math.floor(lastBlock / 2), lastBlock]) {
      for (const reverse of [false, true]) {
        for (const spread of [1, 3, INDEX_GROUP, INDEX_GROUP + 4]) {
          out.set(`${ix.name} from ${from}${reverse ? ' back' : ''} spread ${spread}`, await collect(ix.query(r, from, reverse, spread)));
        }
      }
    }
  }
  return out;
}

it('lists the blocks that show each line, name and code, from any block, both ways, spread out', async () => {
  expect(lastBlock).toBeGreaterThan(4 * INDEX_GROUP); // several groups
  expect(indexes.some((ix) => ix.blocks.length < lastBlock / 2)).toBe(true); // some sparse
  const r = await Recording.open(rec);
  try {
    const got = await answers(r);
    for (const ix of indexes) {
      expect(await collect(ix.query(r, 0, false, 1)), ix.name).toEqual(ix.blocks);
      for (const [q, blocks] of got) {
        if (!q.startsWith(`${ix.name} from`)) continue;
        const [, from, back, spread] = /from (\d+)( back)? spread (\d+)/.exec(q)!;
        expect(blocks, q).toEqual(expected(ix.blocks, Number(from), back !== undefined, Number(spread)));
      }
    }
  } finally {
    await r.close();
  }
});

it('a recording of format 8, an index record per block, answers the same', async () => {
  const r = await Recording.open(rec);
  const before = await answers(r);
  await r.close();
  // Rewritten as format 8 had it: a record per block, its count as the value.
  const db = new Level<Buffer, Buffer>(rec, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  const dels = db.batch(), puts = db.batch(); // (a group's key is some block's too: all deleted first)
  const perBlock = { L: (i: number[], b: number) => key.lineIndex(i[0], i[1], b), V: (i: number[], b: number) => key.varIndex(i[0], b), C: (i: number[], b: number) => key.codeIndex(i[0], b) };
  for (const [prefix, at] of Object.entries(perBlock)) {
    for await (const [k, v] of db.iterator(range(prefix))) {
      dels.del(k);
      const ints = keyInts(k);
      const mask = packr.unpack(v) as number;
      for (let bit = 0; bit < INDEX_GROUP; bit++) if (mask & (1 << bit)) puts.put(at(ints, ints.at(-1)! * INDEX_GROUP + bit), packr.pack(1));
    }
  }
  puts.put(key.version(), Buffer.from([0, 0, 0, 8]));
  await dels.write();
  await puts.write();
  await db.close();
  const old = await Recording.open(rec);
  try {
    expect(await answers(old)).toEqual(before);
  } finally {
    await old.close();
  }
});
