// The expression evaluator on hand-made wire values: Python's answers, and clear refusals
// where a recording cannot answer (cut values, identities, user code).
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

const { parse, evaluate, test: holds } = await import(join(ROOT, 'dist/src/replay/expr.js'));
const { reprOf } = await import(join(ROOT, 'dist/src/wire/values.js'));
const { PyFloat, T } = await import(join(ROOT, 'dist/src/wire/protocol.js'));

const NAMES = ['Point', 'x', 'y', 'tags'];
const locals: Record<string, unknown> = {
  n: 7, big: [T.BIGINT, '123456789012345678901234567890'], f: new PyFloat(2.5), s: 'héllo', none: null, flag: true,
  xs: [T.LIST, 3, 1, 2, 3], cut: [T.LIST, 500, 1, 2], d: [T.DICT, 2, 'a', 1, 'b', [T.TUPLE, 2, 1, 2]],
  p: [T.OBJECT, 0, 2, 1, 3, 2, new PyFloat(-1)], longs: [T.STR, 5000, 'abc'], secret: [T.REDACTED],
};
const scope = {
  lookup: (name: string) => locals[name],
  names: (id: number) => NAMES[id],
  nameId: (name: string) => { const i = NAMES.indexOf(name); return i < 0 ? undefined : i; },
  where: 'f() at event 1',
};
const py = (src: string) => reprOf(evaluate(parse(src), scope), scope.names);

describe('gives what Python gives', () => {
  it.each([
    ['n * 3 + 1', '22'], ['n / 2', '3.5'], ['n // 2', '3'], ['-n // 2', '-4'], ['-n % 3', '2'], ['2 ** 100', '1267650600228229401496703205376'],
    ['big + 1', '123456789012345678901234567891'], ['f * 2', '5.0'], ['n + f', '9.5'], ['0.1 + 0.2', '0.30000000000000004'],
    ['s + "!"', "'héllo!'"], ['s[1]', "'é'"], ['s[-1]', "'o'"], ['s[1:3]', "'él'"], ['len(s)', '5'], ['"ll" in s', 'True'],
    ['xs[0] < xs[-1] <= 3', 'True'], ['xs + [4]', '[1, 2, 3, 4]'], ['xs[1:]', '[2, 3]'], ['2 in xs', 'True'], ['len(xs)', '3'],
    ['d["b"]', '(1, 2)'], ['"a" in d', 'True'], ['d["b"] == (1, 2)', 'True'], ['[1, 2] == (1, 2)', 'False'],
    ['p.x', '3'], ['p.y < 0', 'True'], ['abs(p.y)', '1.0'], ['min(xs)', '1'], ['max(n, f, 3)', '7'], ['str(n) + "x"', "'7x'"], ['repr(s)', `"'héllo'"`],
    ['none is None', 'True'], ['flag and n', '7'], ['not flag or 0', '0'], ['flag + 1', '2'], ['1 == 1.0 == True', 'True'],
    ['len(cut)', '500'], ['cut[1]', '2'], ['len(longs)', '5000'],
    ['sum(xs)', '6'], ['sum(xs, 10)', '16'], ['sum([f, n])', '9.5'], ['sorted([3, 1, 2])', '[1, 2, 3]'], ['sorted(s)', "['h', 'l', 'l', 'o', 'é']"],
    ['any([0, ""])', 'False'], ['any(xs)', 'True'], ['all(xs)', 'True'], ['all([1, 0])', 'False'], ['bool(xs)', 'True'], ['bool("")', 'False'],
    ['int(f)', '2'], ['int(-2.7)', '-2'], ['int("42")', '42'], ['int(flag)', '1'], ['float(n)', '7.0'], ['float("1e3")', '1000.0'], ['float("-inf")', '-inf'],
    ['round(f)', '2'], ['round(3.5)', '4'], ['round(-2.5)', '-2'], ['round(2.675, 2)', '2.67'], ['round(0.125, 2)', '0.12'], ['round(0.375, 2)', '0.38'], ['round(n)', '7'],
  ])('%s -> %s', (src, want) => expect(py(src)).toBe(want));

  it('conditions use Python truthiness', () => {
    expect(holds(parse('xs'), scope)).toBe(true);
    expect(holds(parse('""'), scope)).toBe(false);
    expect(holds(parse('n > 3 and s'), scope)).toBe(true);
  });
});

describe('refuses with one clear sentence', () => {
  it.each([
    ['cut[5]', /cut short by the recording's size bounds/],
    ['99 in cut', /cut short/],
    ['longs + "x"', /cut short/],
    ['undefined', /name 'undefined' is not defined in f\(\) at event 1/],
    ['secret', /redacted/],
    ['p.z', /has no recorded attribute 'z'/],
    ['p == p', /__eq__, which Rewind does not run/],
    ['xs is xs', /identities/],
    ['n / 0', /division by zero/],
    ['s < n', /'<' not supported between instances of 'str' and 'int'/],
    ['d["zz"]', /KeyError: 'zz'/],
    ['xs[7]', /index out of range/],
    ['open("x")', /Rewind never runs the program's code/],
    ['n.__class__', /no recorded attribute/],
    ['n +', /ends too early/],
    ['n $ 2', /cannot read the expression/],
    ['if p', /unexpected 'if'/],
    ['', /empty/],
  ])('%s', (src, message) => {
    expect(() => evaluate(parse(src), scope)).toThrow(message);
  });
});
