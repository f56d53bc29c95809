// BlockView reads stored blocks in place; it must agree with msgpackr's decoding of the same
// bytes for every msgpack shape a stored value can take.
import { expect, it } from 'vitest';
import { packBlock, packr, unpackBlock, type StoredEvent } from '../src/store/store.js';
import { BlockView } from '../src/store/blockview.js';
import { BlockWriter } from '../src/store/blockwriter.js';
import { PyFloat } from '../src/wire/protocol.js';
import { itemStart, visitEncoded } from '../src/wire/encoded.js';

const values: unknown[] = [
  0, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 40, -1, -32, -33, -200, -40000, -(2 ** 31), -(2 ** 40),
  null, true, false, new PyFloat(1.5), new PyFloat(-0), 'x', 'é'.repeat(40), 'y'.repeat(300), 'z'.repeat(70000),
  Buffer.from([1, 2, 3]), Buffer.alloc(300), [], [1, [2, [3, 'four']]], Array.from({ length: 20 }, (_, i) => i),
  Array.from({ length: 70000 }, () => 1), { a: 1, b: [2] }, Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])),
];

// Events of every shape: lines with and without changes, calls, returns with any value,
// output and exceptions (payloads of several items), one frame at several depths.
const events: StoredEvent[] = [];
values.forEach((v, i) => {
  events.push([8, 1, 100 + i, 2, 3, 10 + i, [7, v, 9, i]]);
  events.push([9, 2, 70000 + i, 300, 65536, 40000, v]);
  events.push([8, 1, i, 1, 0, 5]);
  events.push([12, 1, 100 + i, 3, 3, 11 + i]);
});
events.push([7, 1, 9, 1, 3, 4, []]); // a call without arguments
events.push([14, 1, 0, 0, 0, 0, 1, 'out']);
events.push([13, 1, 5, 1, 0, 5, 'ValueError', null, false]);

it('a block is stored as columns and read back as it was', () => {
  expect(unpackBlock(packr.unpack(packBlock(events)))).toEqual(packr.unpack(packr.pack(events)));
});

it('payloads copied as the agent encoded them make the same block as payloads packed', () => {
  // Each payload arrives inside a wire event [kind, line, ...items] (a call: [kind, frame,
  // code, ...]); the writer copies the items' bytes. Large values grow its buffer.
  const w = new BlockWriter(packr);
  for (const e of events) {
    const [kind, thread, frame, depth, code, line, ...items] = e;
    const nested = items.length === 1 && Array.isArray(items[0]);
    const wireItems = nested ? (items[0] as unknown[]) : items;
    if (items.length === 0) {
      w.add(kind, thread, frame, depth, code, line, null);
      continue;
    }
    const wire = packr.pack([7, frame, line, ...wireItems]); // read as a CALL: [kind, frame, code, ...args]
    visitEncoded(wire, (_e, _start, end) => w.addEncoded(kind, thread, frame, depth, code, line, wire, itemStart(3), end, wireItems.length, nested));
  }
  expect(w.finish()).toEqual(packBlock(events));
  // Output written in pieces: the last event's payload is replaced.
  w.add(14, 1, 0, 0, 0, 0, [1, 'a']);
  w.replaceLastPayload([1, 'ab']);
  expect(w.finish()).toEqual(packBlock([[14, 1, 0, 0, 0, 0, 1, 'ab']]));
});

it.each([['columns', packBlock], ['rows (formats 2 to 5)', (e: StoredEvent[]) => packr.pack(e)]])('reads headers and paired values as msgpackr decodes them: %s', (_, layout) => {
  const bytes = layout(events);
  const decoded = packr.unpack(packr.pack(events)) as unknown[][];
  const view = new BlockView().load(bytes);
  expect(view.length).toBe(events.length);
  decoded.forEach((e, i) => {
    expect([view.kind[i], view.thread[i], view.frame[i], view.depth[i], view.code[i], view.line[i]]).toEqual(e.slice(0, 6));
    if (e[0] !== 8) return; // pairs are a line's changes (or a call's arguments)
    const pairs = e[6] ? (e[6] as unknown[]) : null;
    expect(view.pairValue(i, 7)).toEqual(pairs ? pairs[1] : undefined);
    expect(view.pairValue(i, 9)).toEqual(pairs ? pairs[3] : undefined);
    expect(view.pairValue(i, 8)).toBeUndefined();
  });
});

it('refuses bytes that are not a stored block', () => {
  expect(() => new BlockView().load(packr.pack({ not: 'a block' }))).toThrow(/not a stored block/);
});
