// `origin EXPR`: a wrong value followed back through three functions, a list changed in a
// callee, an attribute and return values (test/programs/origin_chain.py), and an object changed
// by a method (shop.py). Real recordings, the built CLI, the batch mode and the debug adapter's
// evaluate.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { PROGRAMS, markers, rewind, tmp } from './helpers.js';

const CHAIN = join(PROGRAMS, 'origin_chain.py');
const SHOP = join(PROGRAMS, 'behaviour/shop.py');
const at = markers(CHAIN);
const shop = markers(SHOP);
let chainRec = '', shopRec = '';

beforeAll(() => {
  const dir = tmp();
  chainRec = join(dir, 'chain');
  shopRec = join(dir, 'shop');
  expect(rewind(['record', '-o', chainRec, CHAIN]).stderr).toMatch(/recorded/);
  expect(rewind(['record', '-o', shopRec, SHOP]).stderr).toMatch(/recorded/);
});

/** The chain as a list of [depth, how, expr, value, line, function] rows. */
function flatten(step: any, depth = 0, out: any[] = []): any[] {
  out.push([depth, step.how, step.expr, step.value.repr, step.line, step.function]);
  for (const c of step.from) flatten(c, depth + 1, out);
  return out;
}

describe('origin', () => {
  it('follows a value through an attribute, a list changed in a callee, return values and arguments', () => {
    const r = rewind(['origin', '--json', '--depth', '12', chainRec, 'o.discount']);
    expect(r.stderr).toBe('');
    const chain = JSON.parse(r.stdout);
    const rows = flatten(chain);
    // Each step of the way, in order, down the main line of the chain.
    const main = [
      ['changed in a call', 'o.discount', '5.0', at.apply, 'apply'],
      ['argument', 'rates', '[5.0]', at['call-apply'], '<module>'],
      ['changed in a call', 'rates', '[5.0]', at.store, 'store'],
      ['argument', 'value', '5.0', at['call-store'], '<module>'],
      ['returned', 's', '5.0', at['return-scaled'], 'scale'],
      ['assigned', 'scaled', '5.0', at.scaled, 'scale'],
      ['argument', 'rate', '2.5', at['call-scale'], '<module>'],
      ['returned', 'r', '2.5', at['return-rate'], 'read_rate'],
      ['assigned', 'rate', '2.5', at.rate, 'read_rate'],
      ['argument', 'raw', '25', at['call-read'], '<module>'],
      ['assigned', 'raw', '25', at.raw, '<module>'],
    ];
    let from = 0;
    for (const step of main) {
      const k = rows.findIndex((row, i) => i >= from && JSON.stringify(row.slice(1)) === JSON.stringify(step));
      expect(k, `${JSON.stringify(step)} in ${JSON.stringify(rows)}`).toBeGreaterThanOrEqual(from);
      from = k + 1;
    }
    // Each step can be gone to: its event is the line it names.
    expect(chain.seq).toBeGreaterThan(0);
    const where = rewind(['replay', '--json', chainRec], { input: `goto ${chain.seq}\n` });
    expect(JSON.parse(where.stdout.trim())).toMatchObject({ line: at.apply, function: 'apply' });
    // A literal ends its branch, and says so.
    expect(rows.some(([, how, expr]) => how === 'argument' && expr === 'factor')).toBe(true);
    expect(r.stdout).toContain('the literal 2');
  });

  it('stops at the depth asked for, and where a value came through code that is not recorded', () => {
    const shallow = JSON.parse(rewind(['origin', '--json', '--depth', '1', chainRec, 'o.discount']).stdout);
    expect(shallow.from).toEqual([]);
    // rate = raw / 10 is all Python; int(...) is C code.
    const text = rewind(['origin', '--depth', '2', shopRec, 'spent']).stdout;
    expect(text).toMatch(/^spent = 29: set by shop\.py:18 in checkout\(\) \(event \d+\): spent \+= price \* qty/);
    expect(text).toMatch(/<- price = 4: set by shop\.py:17 in checkout\(\)/);
  });

  it("follows an object changed by a method back to the method's line", () => {
    const r = JSON.parse(rewind(['origin', '--json', '--depth', '3', shopRec, 'cart.total']).stdout);
    // At the exception, in checkout(): cart is checkout's argument, its total set by Cart.add.
    expect(r).toMatchObject({ how: 'argument', expr: 'cart.total', value: { repr: '29' }, line: shop.crash });
    expect(r.from[0]).toMatchObject({ how: 'changed in a call', expr: 'cart.total', line: shop['add-total'], function: 'Cart.add' });
    expect(r.from[0].from.map((s: any) => s.expr)).toEqual(expect.arrayContaining(['price', 'qty']));
  });

  it('in replay and the debug console: origin [-d N] EXPR', () => {
    const r = rewind(['replay', chainRec], { input: `goto end\norigin -d 2 o.discount\norigin nosuch\norigin\n` });
    const out = r.stdout;
    expect(out).toMatch(/o\.discount = 5\.0: changed by origin_chain\.py:\d+ in apply\(\)/);
    expect(out).toMatch(/<- rates = \[5\.0\]: passed by/);
    expect(out).toMatch(/error: name 'nosuch' is not defined/);
    expect(out).toMatch(/error: .*origin \[-d N\] EXPR/);
  });

  it('refuses bad input in one sentence', () => {
    for (const [args, why] of [
      [['origin', chainRec, 'len('], /ends too early|expected/],
      [['origin', chainRec, 'o.discount', '--depth', '0'], /--depth needs a positive whole number/],
      [['origin', chainRec, 'o.discount', '--at', '999999'], /there is no event 999999/],
    ] as const) {
      const r = rewind([...args]);
      expect(r.status).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(why);
    }
  });
});
