// Transcript tests: commands in, exact results out, through the built CLI, on a recording of
// a real program. Lines are named by `# @name` markers in the fixture, never by number.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { PROGRAMS, markers, rewind, tmp } from './helpers.js';

const SCRIPT = join(PROGRAMS, 'behaviour/shop.py');
const M = markers(SCRIPT);
let rec: string;

/** Runs commands in batch JSON mode; one parsed object per command. */
function batch(...commands: string[]): any[] {
  const r = rewind(['replay', '--json', rec], { input: commands.join('\n') + '\n' });
  const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(out.length, r.stderr).toBe(commands.filter((c) => c.trim() && !c.startsWith('#')).length);
  return out;
}

const last = (...commands: string[]) => batch(...commands).at(-1);
const ints = (values: { repr: string }[]) => values.map((v) => Number(v.repr));

beforeAll(() => {
  rec = join(tmp(), 'shop');
  const r = rewind(['record', '-o', rec, SCRIPT]);
  expect(r.status).toBe(1); // the program ends with an uncaught ValueError
});

describe('motions', () => {
  it('starts on the first line and says so at the start', () => {
    const [info, back] = batch('info', 'rstep');
    expect(info.position).toMatchObject({ line: 1, function: '<module>', depth: 1 });
    expect(back).toMatchObject({ seq: info.position.seq, stop: 'start' });
    expect(Object.keys(back).sort()).toEqual(['depth', 'file', 'frame', 'function', 'line', 'seq', 'stop', 'thread']);
  });

  it('goto exception lands on the raise of the uncaught error, with its locals', () => {
    const [pos, budget, where] = batch('goto exception', 'print budget', 'where');
    expect(pos).toMatchObject({ line: M.raise, function: 'checkout', depth: 2 });
    expect(budget.value).toEqual({ type: 'int', repr: '10' });
    expect(where.stack.map((f: any) => [f.function, f.line])).toEqual([['<module>', M.crash], ['checkout', M.raise]]);
  });

  it('steps back from the crash, and rfinish / finish cross the call', () => {
    const [, back, caller, forward] = batch('goto exception', 'rstep', 'rfinish', 'next');
    expect(back).toMatchObject({ line: M.check, function: 'checkout' });
    expect(caller).toMatchObject({ line: M.crash, function: '<module>', depth: 1 });
    expect(forward.stop).toBe('end'); // stepping over the crashing call reaches nothing further
  });

  it('next steps over calls; rnext at a first line goes back to the call site', () => {
    const out = batch(`break shop.py:${M['call-add']}`, 'continue', 'next', 'next', 'step', 'rnext', 'rstep');
    expect(out[1]).toMatchObject({ line: M['call-add'], breakpoint: 1 });
    expect(out[2]).toMatchObject({ function: '<module>', line: M['call-add'] - 1 }); // stepped over add(): back at the for
    expect(out[3]).toMatchObject({ function: '<module>', line: M['call-add'] });
    expect(out[4]).toMatchObject({ function: 'Cart.add', line: M.append });
    expect(out[5]).toMatchObject({ function: '<module>', line: M['call-add'] });
    expect(out[6]).toMatchObject({ function: '<module>', line: M['call-add'] - 1 });
  });

  it('goto start / end / SEQ, and a non-line event lands on the line that was running', () => {
    const [end, start, mid] = batch('goto end', 'goto start', 'goto 5');
    expect(end.seq).toBeGreaterThan(start.seq);
    expect(start.line).toBe(1);
    expect(mid.seq).toBeLessThanOrEqual(5);
  });
});

describe('breakpoints and watches', () => {
  it('a conditional breakpoint stops only where it holds, in both directions', () => {
    const out = batch(`break shop.py:${M['add-total']} if qty > 1`, 'continue', 'print qty', 'continue', 'print qty', 'continue', 'rcontinue', 'print qty');
    expect(out[0].breakpoint).toMatchObject({ id: 1, kind: 'line', ran: 3, condition: 'qty > 1' });
    expect(out[1]).toMatchObject({ line: M['add-total'], breakpoint: 1 });
    expect(out[2].value.repr).toBe('2');
    expect(out[4].value.repr).toBe('3');
    expect(out[5].stop).toBe('end');
    expect(out[7].value.repr).toBe('3');
  });

  it('break FUNCTION stops at its first line; tbreak stops once; disable and delete work', () => {
    const out = batch('tbreak checkout', 'continue', 'print budget', 'breaks', 'break Cart.add', 'disable 2', 'goto start', 'continue', 'enable 2', 'goto start', 'continue', 'delete 2', 'breaks');
    expect(out[1]).toMatchObject({ function: 'checkout', line: M['spent-init'], breakpoint: 1 });
    expect(out[2].value.repr).toBe('20');
    expect(out[3].breakpoints).toEqual([]);
    expect(out[7].stop).toBe('end');
    expect(out[10]).toMatchObject({ function: 'Cart.add', line: M.append, breakpoint: 2 });
    expect(out[12].breakpoints).toEqual([]);
  });

  it('watch stops where the new value is visible; rcontinue on the line that made the change', () => {
    const out = batch('tbreak checkout', 'continue', 'watch spent', 'continue', 'continue', 'rcontinue', 'rcontinue');
    expect(out[2].value.type).toBe('unbound'); // not yet assigned at the function's first line
    expect(out[3]).toMatchObject({ watch: 2, line: M.spend - 1 });
    expect(out[3].new.repr).toBe('0');
    expect(out[4]).toMatchObject({ old: { repr: '0' }, new: { repr: '3' } });
    // back: the line that made the change visible at the cursor (spent 0 -> 3 was made by @spend)
    expect(out[5]).toMatchObject({ line: M.spend, old: { repr: '0' }, new: { repr: '3' } });
    expect(out[6]).toMatchObject({ line: M['spent-init'], new: { repr: '0' } });
  });

  it('watch sees in-place mutation through an attribute', () => {
    const out = batch(`tbreak shop.py:${M['call-add']}`, 'continue', 'watch len(cart.items)', 'continue', 'continue');
    expect(out[2].value.repr).toBe('0');
    expect(out[3]).toMatchObject({ old: { repr: '0' }, new: { repr: '1' }, function: '<module>' });
    expect(out[4]).toMatchObject({ old: { repr: '1' }, new: { repr: '2' } });
  });
});

describe('queries', () => {
  it('history lists every change with the line that made it, old and new', () => {
    const [r] = batch('history spent in checkout');
    expect(ints(r.history.map((h: any) => h.new))).toEqual([0, 3, 17, 29, 0, 3, 17, 29]);
    expect(r.history[0].old).toBeNull();
    expect(r.history[1].old.repr).toBe('0');
    expect(r.history.map((h: any) => h.changedBy.line)).toEqual([M['spent-init'], M.spend, M.spend, M.spend, M['spent-init'], M.spend, M.spend, M.spend]);
  });

  it('history counts in-place mutation and argument binding', () => {
    const [items] = batch('history cart');
    const module = items.history.filter((h: any) => h.function === '<module>');
    expect(module.length).toBe(4); // bound, then three add() calls that mutate it
    const [args] = batch('history qty in Cart.add');
    expect(ints(args.history.map((h: any) => h.new))).toEqual([1, 2, 3]);
    expect(args.history[0].changedBy.line).toBe(M['call-add']); // an argument is made by the call site
  });

  it('hits and log give every time a line ran, in order', () => {
    const [h, l] = batch(`hits shop.py:${M.spend} if budget == 10`, `log shop.py:${M.spend} "{name}: {spent} + {price * qty}"`);
    expect(h.hits.length).toBe(3);
    expect(h.hits[0]).toMatchObject({ line: M.spend, function: 'checkout' });
    expect(h.hits[0].locals.budget.repr).toBe('10');
    expect(l.log.map((x: any) => x.text)).toEqual(['pen: 0 + 3', 'ink: 3 + 14', 'pad: 17 + 12', 'pen: 0 + 3', 'ink: 3 + 14', 'pad: 17 + 12']);
  });

  it('exceptions, output, locals and list', () => {
    const [x, o, , loc, list] = batch('exceptions', 'output', 'goto exception', 'locals', 'list');
    expect(x.exceptions.map((e: any) => [e.type, e.message, e.caught, e.line])).toEqual([
      ['ValueError', 'over budget by 9', true, M.raise],
      ['ValueError', 'over budget by 19', false, M.raise],
    ]);
    expect(o.output[0]).toMatchObject({ stream: 'stdout', text: 'total 29\n' });
    expect(o.output.at(-1).stream).toBe('stderr');
    expect(Object.keys(loc.locals).sort()).toEqual(['budget', 'cart', 'name', 'price', 'qty', 'spent']);
    expect(list.lines.find((l: any) => l.line === M.raise).text).toContain('raise ValueError');
  });

  it('print evaluates expressions over recorded values, never running code', () => {
    const out = batch('goto exception', 'print spent - budget', 'print cart.items[-1]', 'print [i[0] for i in x]', 'print cart.total / 2', 'print "pen" in str(cart.items)', 'print max(spent, budget) * 2 ** 3');
    expect(out[1].value).toEqual({ type: 'int', repr: '19' });
    expect(out[2].value.repr).toBe("('pad', 4, 3)");
    expect(out[3].error).toMatch(/unexpected 'for'|expected/);
    expect(out[4].value).toEqual({ type: 'float', repr: '14.5' });
    expect(out[5].value.repr).toBe('True');
    expect(out[6].value.repr).toBe('232');
  });
});

describe('pdb habits', () => {
  it('args, whatis, pp, longlist and help COMMAND answer as pdb does', () => {
    const [, args, whatis, pp, ll, help, helpPp] = batch('goto exception', 'args', 'whatis spent', 'pp cart.items[0]', 'longlist', 'help next', 'help pp');
    expect(Object.keys(args.args)).toEqual(['cart', 'budget']);
    expect(args.args.budget.repr).toBe('10');
    expect(whatis.type).toBe('int');
    expect(pp.value.repr).toBe("('pen', 3, 1)");
    expect(ll.lines[0]).toMatchObject({ line: M['spent-init'] - 1, text: 'def checkout(cart, budget):' });
    expect(ll.lines.at(-1).text).toContain('return spent');
    expect(help.help).toEqual([expect.objectContaining({ usage: expect.stringMatching(/^next/) })]);
    expect(helpPp.help[0].usage).toMatch(/^print EXPR/);
  });

  it("retval says what the frame returns (or that it raises); break takes pdb's 'LOCATION, COND'", () => {
    const out = batch(`break shop.py:${M['add-total']}, qty == 2`, 'continue', 'retval', 'print qty', 'goto exception', 'rv');
    expect(out[0].breakpoint).toMatchObject({ condition: 'qty == 2' });
    expect(out[1]).toMatchObject({ line: M['add-total'], function: 'Cart.add' });
    expect(out[2]).toMatchObject({ how: 'returns', value: { repr: '17' } });
    expect(out[3].value.repr).toBe('2');
    expect(out[5]).toMatchObject({ how: 'raises' });
  });

  it('isinstance answers for builtin types and a value\'s own class, and says when it cannot tell', () => {
    const out = batch('goto exception', 'print isinstance(cart, Cart)', 'print isinstance(spent, (str, int))', 'print isinstance(cart.items, dict)',
      'print isinstance(cart, object)', 'print isinstance(cart, Base)');
    expect(out.slice(1, 5).map((o) => o.value.repr)).toEqual(['True', 'True', 'False', 'True']);
    expect(out[5].error).toMatch(/isinstance\(\) cannot tell whether a Cart is a Base: the recording holds a value's own type/);
  });

  it('until leaves a loop in one motion, runtil goes back the same way; until LINE goes to that line', () => {
    const out = batch(`break shop.py:${M.spend}`, 'continue', 'print spent', 'until', 'print spent', 'runtil', `until ${M.check}`, 'until nowhere');
    expect(out[1]).toMatchObject({ line: M.spend, function: 'checkout' });
    expect(out[2].value.repr).toBe('0');
    expect(out[3]).toMatchObject({ line: M.check, function: 'checkout' }); // every turn of the loop ran
    expect(out[4].value.repr).toBe('29');
    expect(out[5]).toMatchObject({ line: M.spend - 1, function: 'checkout' }); // the loop's last test
    expect(out[6]).toMatchObject({ line: M.check, function: 'checkout' });
    expect(out[7].error).toBe("until takes a line number, not 'nowhere'.");
  });

  it('condition adds or removes a condition after the fact; clear deletes breakpoints', () => {
    const out = batch(`break shop.py:${M.spend}`, 'condition 1 spent > 5', 'continue', 'print spent', 'condition 1', 'breaks',
      `break shop.py:${M.check}`, `clear shop.py:${M.check}`, 'watch spent', 'clear', 'breaks', 'condition 9 x', `clear shop.py:${M.raise}`);
    expect(out[1].breakpoint).toMatchObject({ id: 1, condition: 'spent > 5' });
    expect(out[2]).toMatchObject({ line: M.spend, breakpoint: 1 });
    expect(Number(out[3].value.repr)).toBeGreaterThan(5);
    expect(out[5].breakpoints[0].condition).toBeUndefined();
    expect(out[7].deleted).toEqual([2]);
    expect(out[9].deleted).toEqual([1, 3]);
    expect(out[10].breakpoints).toEqual([]);
    expect(out[11].error).toMatch(/there is no breakpoint 9/);
    expect(out[12].error).toBe(`there is no breakpoint at shop.py:${M.raise}.`);
  });

  it('display shows expressions at every stop, undisplay stops it', () => {
    const out = batch(`break shop.py:${M.spend}`, 'display spent', 'display no_such_name', 'continue', 'undisplay no_such_name', 'next',
      'display', 'undisplay', 'next', 'undisplay spent', 'display spent +');
    expect(out[1].display).toEqual([{ expr: 'spent', value: expect.objectContaining({ type: 'error' }) }]); // not yet a local
    expect(out[3].display).toEqual([
      { expr: 'spent', value: { type: 'int', repr: '0' } },
      { expr: 'no_such_name', value: expect.objectContaining({ type: 'error', repr: expect.stringMatching(/not defined/) }) },
    ]);
    expect(out[4].undisplayed).toEqual(['no_such_name']);
    expect(out[5].display).toEqual([{ expr: 'spent', value: { type: 'int', repr: '3' } }]);
    expect(out[6].display).toHaveLength(1);
    expect(out[7].undisplayed).toEqual(['spent']);
    expect(out[8].display).toBeUndefined();
    expect(out[9].error).toBe("'spent' is not displayed.");
    expect(out[10].error).toMatch(/ends too early|expected/);
  });

  it('ignore passes over the next hits of a breakpoint', () => {
    const out = batch(`break shop.py:${M.spend}`, 'ignore 1 2', 'continue', 'print spent', 'breaks', 'ignore 1 many');
    expect(out[1].breakpoint).toMatchObject({ id: 1, ignore: 2 });
    expect(out[2]).toMatchObject({ line: M.spend, breakpoint: 1 });
    expect(out[3].value.repr).toBe('17'); // the third turn of the loop: 3*1 + 7*2 spent before it
    expect(out[4].breakpoints[0].ignore).toBeUndefined();
    expect(out[5].error).toBe("ignore takes a breakpoint number and a count, not '1 many'.");
  });

  it('a mistyped command suggests the nearest one', () => {
    const [r] = batch('contineu');
    expect(r.error).toBe("unknown command 'contineu'; did you mean 'continue'? (type help for the list).");
    expect(batch('frobnicate')[0].error).toBe("unknown command 'frobnicate' (type help for the list).");
  });
});

describe('bad input in batch mode: one sentence, and the next command runs', () => {
  it.each([
    ['frobnicate', /unknown command 'frobnicate'/],
    ['break shop.py:9999', /shop\.py has no line 9999; the nearest lines that ran are \d+/],
    ['break nosuch.py:3', /no recorded file matches 'nosuch\.py'/],
    ['break no_such_function', /no function called 'no_such_function' was recorded/],
    ['print undefined_name', /name 'undefined_name' is not defined in <module>\(\)/],
    ['print len(', /ends too early|expected/],
    ['print __import__("os")', /only len, abs, min, max, sum, round, sorted, any, all, int, float, bool, str, repr, isinstance can be called/],
    ['delete 7', /there is no breakpoint 7/],
    ['goto 99999999', /there is no event 99999999/],
    ['goto somewhere', /goto needs an event number/],
    ['history nothing_like_this', /no local called 'nothing_like_this'/],
    ['watch 1 + 2', /reads no local that was ever recorded/],
    ['hits shop.py', /usage|not FILE:LINE/],
  ])('%s', (cmd, message) => {
    const r = rewind(['replay', '--json', rec], { input: `${cmd}\ninfo\n` });
    const [err, info] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(err.error).toMatch(message);
    expect(err.error.split(/\.\s/).length, err.error).toBeLessThanOrEqual(2);
    expect(info.events).toBeGreaterThan(0); // the next command ran
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('');
  });
});

describe('direct subcommands', () => {
  it('history --json: one object per change with seq, changedBy, old, new', () => {
    const r = rewind(['history', '--json', '--function', 'checkout', rec, 'spent']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(8);
    expect(Object.keys(lines[1])).toEqual(expect.arrayContaining(['seq', 'changedBy', 'old', 'new']));
    expect(lines[1].changedBy.seq).toBeLessThan(lines[1].seq);
  });

  it('hits --json: seq, thread, frame, line, function, locals', () => {
    const r = rewind(['hits', '--json', '--if', 'qty == 2', rec, `shop.py:${M['add-total']}`]);
    expect(r.status, r.stderr).toBe(0);
    const [hit, ...rest] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rest).toEqual([]);
    expect(Object.keys(hit).sort()).toEqual(['frame', 'function', 'line', 'locals', 'seq', 'thread']);
    expect(hit.locals.name.repr).toBe("'ink'");
  });

  it('log prints the template at every hit; exceptions lists both', () => {
    const log = rewind(['log', rec, `shop.py:${M['add-total']}`, '{name} x{qty}']);
    expect(log.stdout).toBe('pen x1\nink x2\npad x3\n');
    const x = rewind(['exceptions', rec]);
    expect(x.stdout.trim().split('\n')).toHaveLength(2);
    expect(x.stdout).toMatch(/ValueError: over budget by 19 .* not caught/);
  });

  it('replay text mode shows the source line at each stop', () => {
    const r = rewind(['replay', rec], { input: 'goto exception\nrstep\n' });
    expect(r.stdout).toMatch(new RegExp(`> shop\\.py:${M.raise} checkout\\(\\)`));
    expect(r.stdout).toContain('raise ValueError("over budget by %d" % (spent - budget))');
  });

  it.each([
    [['history', '/nonexistent/rec', 'x'], /does not exist/],
    [['hits', 'REC', 'shop.py:2'], /holds no code/],
    [['hits', 'REC', 'shop.py:1', '--if', 'x ==='], /cannot read the expression/],
    [['log', 'REC', 'shop.py:11', '{unclosed'], /not closed/],
  ])('bad input: %j', (args, message) => {
    const r = rewind(args.map((a) => (a === 'REC' ? rec : a)));
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim()).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
