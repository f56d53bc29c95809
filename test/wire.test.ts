// The wire format from the TypeScript side: golden vectors written by the Python encoder,
// Python's own repr() of random floats and strings, and a fuzzed decoder.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeEvents, unpackr, visitEvents, WireError, type WireEvent } from '../src/wire/protocol.js';
import { Encoded, visitEncoded } from '../src/wire/encoded.js';
import { applyPatch, isPatch } from '../src/wire/patch.js';
import { packr } from '../src/store/store.js';
import { floatRepr, toJson } from '../src/wire/values.js';
import { ROOT, run } from './helpers.js';

const vectors = (f: string) => JSON.parse(readFileSync(join(ROOT, 'agent/vectors', f), 'utf8'));

describe('golden value vectors', () => {
  it.each(vectors('values.json').map((v: any) => [v.expr, v]))('%s', (_expr, v: any) => {
    const value = unpackr.unpack(Buffer.from(v.hex, 'hex'));
    const json = toJson(value, (id) => v.names[id]);
    const expected: any = { type: v.type, repr: v.repr };
    if (v.truncated) expected.truncated = true;
    if (/<redacted>/.test(v.repr) && v.type === 'redacted') expected.redacted = true;
    expect(json).toEqual(expected);
  });
});

describe('golden patch vectors: a local changed in place, sent as a patch of its previous encoding', () => {
  const latin1 = (hex: string) => Buffer.from(hex, 'hex').toString('latin1');
  it.each(vectors('patches.json').map((v: any) => [v.new, v]))('%s', (_new, v: any) => {
    const [base, whole, sent] = [latin1(v.base_hex), latin1(v.new_hex), latin1(v.sent_hex)];
    if (!isPatch(sent)) {
      expect(sent).toBe(whole); // sent whole, where a patch would not save half
      return;
    }
    expect(sent.length * 2).toBeLessThanOrEqual(whole.length);
    expect(applyPatch(base, sent)).toBe(whole);
    expect(applyPatch(base + 'x', sent)).toBeNull(); // not the value it was made from
  });
  it('most of them are patches, and a value is never taken for one', () => {
    expect(vectors('patches.json').filter((v: any) => isPatch(latin1(v.sent_hex))).length).toBeGreaterThanOrEqual(8);
    for (const v of vectors('values.json')) expect(isPatch(latin1(v.hex))).toBe(false);
  });
});

// The indexer's reader keeps values encoded: decoded here, its events must be decodeEvents'.
const decoded = (v: unknown): unknown => (v instanceof Encoded ? unpackr.unpack(Buffer.from(v.latin1, 'latin1')) : Array.isArray(v) ? v.map(decoded) : v);
function decodeEncoded(buf: Uint8Array): { events: WireEvent[]; used: number } {
  const events: WireEvent[] = [];
  const used = visitEncoded(buf, (e) => events.push(decoded(e) as WireEvent));
  return { events, used };
}
const decoders = [['decodeEvents', decodeEvents], ['the indexer\'s reader (visitEncoded)', decodeEncoded]] as const;

it.each(decoders)('golden event stream decodes, and every prefix decodes to a prefix of its events: %s', (_, decode) => {
  const { hex, events } = vectors('events.json');
  const buf = Buffer.from(hex, 'hex');
  expect(decode(buf)).toEqual({ events, used: buf.length });
  for (let n = 0; n <= buf.length; n++) {
    const got = decode(buf.subarray(0, n));
    expect(events.slice(0, got.events.length)).toEqual(got.events);
    expect(got.used).toBeLessThanOrEqual(n);
  }
});

it('the indexer\'s reader keeps a line\'s changed values as the agent encoded them, scalars decoded', () => {
  const buf = Buffer.concat([packr.pack([8, 12, 1, 'text', 2, [1, 3, 4], 3, -5, 4, null, 5, 2 ** 31]), packr.pack(13)]);
  const seen: unknown[] = [];
  expect(visitEncoded(buf, (e, start, end) => seen.push([e, start, end]))).toBe(buf.length);
  const [[line, start, end], [bare]] = seen as [WireEvent, number, number][];
  expect([start, end, bare]).toEqual([0, buf.length - 1, 13]);
  const e = line as unknown[];
  expect(e.slice(0, 3)).toEqual([8, 12, 1]);
  expect(e[3]).toBeInstanceOf(Encoded);
  expect(e[5]).toBeInstanceOf(Encoded);
  expect(decoded(e)).toEqual([8, 12, 1, 'text', 2, [1, 3, 4], 3, -5, 4, null, 5, 2 ** 31]);
  buf.fill(0); // the next chunk read into the same memory: what was kept is a copy
  expect(decoded(e)).toEqual([8, 12, 1, 'text', 2, [1, 3, 4], 3, -5, 4, null, 5, 2 ** 31]);
});

it('float repr matches Python on 20,000 random doubles', () => {
  const py = run('python3', ['-c', `
import random, struct, sys
random.seed(7)
for i in range(20000):
    kind = i % 4
    if kind == 0: x = struct.unpack('<d', random.getrandbits(64).to_bytes(8, 'little'))[0]
    elif kind == 1: x = random.uniform(-1e6, 1e6)
    elif kind == 2: x = random.random() * 10 ** random.randint(-30, 30)
    else: x = float(random.randint(-10**17, 10**17))
    sys.stdout.write(struct.pack('>d', x).hex() + ' ' + repr(x) + '\\n')
`]);
  expect(py.status).toBe(0);
  for (const line of py.stdout.trim().split('\n')) {
    const [hex, want] = line.split(' ');
    expect(floatRepr(Buffer.from(hex, 'hex').readDoubleBE(0))).toBe(want);
  }
});

it('strings encoded by the agent show exactly Python\'s repr, for random code points', () => {
  const py = run('python3', ['-c', `
import random, sys, json
sys.path.insert(0, ${JSON.stringify(join(ROOT, 'agent'))})
from rewind_agent.values import Serializer
enc = Serializer(lambda s: 0, lambda n: False).encode
random.seed(3)
out = []
for i in range(3000):
    s = ''.join(chr(random.choice([random.randint(0, 0x7f), random.randint(0x80, 0x2fff), random.randint(0x3000, 0x10ffff)])) for _ in range(8))
    out.append([enc(s).hex(), repr(s)])
json.dump(out, sys.stdout)
`]);
  expect(py.status, py.stderr).toBe(0);
  const pairs = JSON.parse(py.stdout) as [string, string][];
  for (const [hex, want] of pairs) expect(toJson(unpackr.unpack(Buffer.from(hex, 'hex')), () => 'str').repr).toBe(want);
});

it.each(decoders)('the decoder survives random and truncated input with its own error only: %s', (_, decode) => {
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const { hex } = vectors('events.json');
  const good = Buffer.from(hex, 'hex');
  for (let i = 0; i < 3000; i++) {
    const b = i % 2 ? Buffer.from(good) : Buffer.alloc(1 + Math.floor(rand() * 64));
    for (let j = 0; j < (i % 2 ? 3 : b.length); j++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    try {
      decode(b.subarray(0, Math.floor(rand() * b.length) + 1));
    } catch (e) {
      expect(e).toBeInstanceOf(WireError);
    }
  }
  expect(decode(good).events.length).toBe(vectors('events.json').events.length);
});

it.each([['visitEvents', visitEvents], ['visitEncoded', visitEncoded]] as const)('events are handed over as they are decoded; what the receiver throws is passed on as it is: %s', (_, visit) => {
  const { hex, events } = vectors('events.json');
  const buf = Buffer.from(hex, 'hex');
  const seen: unknown[] = [];
  expect(visit(buf.subarray(0, buf.length - 1), (e) => seen.push(decoded(e)))).toBeLessThan(buf.length);
  expect(seen).toEqual(events.slice(0, seen.length)); // the cut event is not handed over
  const boom = new Error('not the stream');
  let n = 0;
  expect(() => visit(buf, () => { if (++n === 3) throw boom; })).toThrow(boom);
  expect(n).toBe(3); // none after it
});
