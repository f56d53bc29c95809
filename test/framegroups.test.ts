// Which frame records are written together, and when (src/store/framegroups.ts). Recordings
// made end to end check the records themselves (accelerator.test.ts, record.test.ts); this
// checks the rule, including frames that arrive out of order, which a real run rarely shows.
import { expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Level } from 'level';
import { FRAME_GROUP, FrameGroups, type Ready } from '../src/store/framegroups.js';
import { key, range } from '../src/store/layout.js';
import { packr } from '../src/store/store.js';
import { frameRecords, rewind, tmp } from './helpers.js';

const written = (r: Ready[]) => r.map((x) => ('late' in x ? `late ${x.late}` : `group ${x.group}: ${x.records.filter((y) => y !== null).join(',')}`));

it('writes a group once a later group has begun and none of its frames runs', () => {
  const g = new FrameGroups();
  expect(g.begin(1)).toEqual([]);
  expect(g.begin(2)).toEqual([]);
  expect(g.end(2, 'two')).toEqual([]); // group 0 may still get frames
  expect(g.begin(FRAME_GROUP)).toEqual([]); // frame 1 still runs
  expect(written(g.end(1, 'one'))).toEqual(['group 0: one,two']);
  expect(written(g.rest())).toEqual(['group 1: ']); // nothing ended in it: an empty group
});

it('writes every group whose frames have all ended when a new group begins, and a running frame keeps its group', () => {
  const g = new FrameGroups();
  g.begin(1); // runs to the end, like a module's body
  for (let fid = 2; fid < 3 * FRAME_GROUP; fid++) {
    const ready = g.begin(fid);
    if (fid === 2 * FRAME_GROUP) expect(written(ready)).toEqual([`group 1: ${Array.from({ length: FRAME_GROUP }, (_, i) => FRAME_GROUP + i).join(',')}`]);
    else expect(ready).toEqual([]);
    expect(g.end(fid, String(fid))).toEqual([]);
  }
  expect(written(g.end(1, '1'))).toEqual([`group 0: 1,${Array.from({ length: FRAME_GROUP - 2 }, (_, i) => i + 2).join(',')}`]);
  expect(g.rest().map((r) => 'group' in r && r.group)).toEqual([2]);
});

it('a frame that begins after its group was written is written alone', () => {
  const g = new FrameGroups();
  g.begin(1);
  g.begin(FRAME_GROUP); // ids out of order: frame 5 has not begun yet
  expect(written(g.end(1, 'one'))).toEqual(['group 0: one']);
  expect(g.begin(5)).toEqual([]);
  expect(g.end(5, 'five')).toEqual([{ late: 5, record: 'five' }]);
});

it('a recording of format 5, one record per frame, reads as it did', async () => {
  const dir = tmp();
  const rec = join(dir, 'rec');
  writeFileSync(join(dir, 'calls.py'), 'def f(n):\n    return n * 2\n\n\nprint(sum(f(i) for i in range(300)))\n');
  expect(rewind(['record', '--index', 'now', '-o', rec, join(dir, 'calls.py')]).status).toBe(0);
  const before = await frameRecords(rec);
  expect(before.length).toBeGreaterThan(FRAME_GROUP);
  expect(before.filter((f) => f?.yielded).map((f) => f!.frame)).toEqual([2]); // the generator expression (format 7)
  // Rewritten as format 5 had it: 'F' frame -> the record, and the version.
  const db = new Level<Buffer, Buffer>(rec, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  const batch = db.batch();
  for await (const k of db.keys(range('F'))) batch.del(k);
  const kinds = [null, 'return', 'unwind', 'lost', 'dropped'];
  for (const f of before) {
    if (f) batch.put(key.frame(f.frame), packr.pack([f.frame, f.code, f.thread, f.parent, f.depth, f.start, f.end, kinds.indexOf(f.endKind)]));
  }
  batch.put(key.version(), Buffer.from([0, 0, 0, 5]));
  await batch.write();
  await db.close();
  expect(await frameRecords(rec)).toEqual(before.map((f) => f && { ...f, yielded: undefined }));
});
