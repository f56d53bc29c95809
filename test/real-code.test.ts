// Real programs, recorded right: star imports, tracers taken away and given back (doctest),
// a test runner catching a test's exception, comprehensions, closures, code made from strings,
// and the agent's own failures, which must be loud. Every case records a real process, on
// every interpreter under test, with the pure-Python agent and with the accelerator (auto: it
// falls back to the pure agent where it cannot be built, and says so).
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PROGRAMS, dump, markers, pythons, rewind, run, tmp, type Run } from './helpers.js';

const REAL = join(PROGRAMS, 'real');
const stripSummary = (s: string) => s.replace(/(^|\n)rewind: recorded [^\n]*\n$/, '$1');

interface Recorded { run: Run; rec: string; events: any[]; info: any }

function record(exe: string, agent: string, args: string[], env: Record<string, string> = {}): Recorded {
  const rec = join(tmp(), 'rec');
  const r = rewind(['record', '--python', exe, '--accelerator', agent, '-o', rec, ...args], { cwd: REAL, env: { ...process.env, ...env } });
  if (!existsSync(rec)) throw new Error(`rewind record made no recording (status ${r.status}, signal ${r.signal}):\n${r.stderr}`);
  const info = JSON.parse(rewind(['info', '--json', rec]).stdout);
  return { run: r, rec, events: dump(rec), info };
}

/** Batch replay with --json: one object per command. */
function replay(rec: string, commands: string[]): any[] {
  const r = rewind(['replay', '--json', rec], { input: commands.join('\n') + '\n' });
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

const lines = (events: any[], fn: string) => events.filter((e) => e.kind === 'line' && e.function === fn);

describe.each(pythons())('real programs on $label', ({ exe }) => {
  describe.each(['off', 'auto'])('agent: accelerator %s', (agent) => {
    it('a star import at module level: its names are recorded and the recording goes on', () => {
      const m = markers(join(REAL, 'star_import.py'));
      const r = record(exe, agent, ['star_import.py']);
      expect(r.run.status).toBe(0);
      expect(r.run.stdout).toBe(run(exe, ['star_import.py'], { cwd: REAL }).stdout);
      const after = r.events.find((e) => e.kind === 'line' && e.line === m.after);
      expect(Object.keys(after.changed)).toEqual(expect.arrayContaining(['basename', 'splitext', 'join']));
      const last = lines(r.events, '<module>').at(-1);
      expect(last.changed.parts.repr).toBe("('report', '.txt')");
      expect(r.info.warnings).toBeUndefined();
    });

    it('the tracer taken away and given back: the program behaves as without Rewind, the recording resumes in step and says where it has a gap', () => {
      const m = markers(join(REAL, 'tracer_handback.py'));
      const plain = run(exe, ['tracer_handback.py'], { cwd: REAL });
      const r = record(exe, agent, ['tracer_handback.py']);
      expect(r.run.status).toBe(0);
      expect(r.run.stdout).toBe(plain.stdout);
      const settrace = r.info.backend === 'settrace';
      const calls = r.events.filter((e) => e.kind === 'call' && e.function === 'twice').map((e) => e.args.n.repr);
      expect(calls).toEqual(settrace ? ['1', '3', '5'] : ['1', '2', '3', '5']);
      // After the gap, events land in the frame that really runs: outer, at depth 2.
      const resumed = r.events.find((e) => e.kind === 'line' && e.line === m.resumed);
      expect(resumed).toMatchObject({ function: 'outer', depth: 2 });
      const [, r1] = replay(r.rec, [`goto ${resumed.seq}`, 'p r']);
      expect(r1.value.repr).toBe('1');
      expect(r.events.filter((e) => e.depth > 0).every((e) => e.function !== 'inner' || e.line <= m.resumed)).toBe(true);
      const moduleAfter = r.events.filter((e) => e.function === '<module>' && e.seq > resumed.seq);
      expect(moduleAfter.every((e) => e.depth === 1)).toBe(true);
      expect(moduleAfter.at(-1).changed?.d?.repr ?? lines(r.events, '<module>').at(-1).changed.d.repr).toBe('11');
      // What sys.gettrace() gave the program is recorded as a label, never walked.
      const saved = r.events.find((e) => e.kind === 'line' && e.changed?.saved)?.changed.saved;
      if (settrace) expect(saved.repr).not.toMatch(/config|Config/);
      if (settrace) {
        expect(r.info.warnings.map((w: any) => w.code)).toEqual(['tracer-replaced', 'tracer-replaced']);
        expect(r.run.stderr).toContain('rewind: the recording is incomplete: the program took Rewind\'s tracer away 2 times');
        expect(rewind(['info', r.rec]).stdout).toMatch(/incomplete +the program took Rewind's tracer away 2 times/);
      } else {
        expect(r.info.warnings).toBeUndefined(); // sys.monitoring: the program's tracer is another matter
      }
    });

    it('python -m doctest: the same output and status as a plain run, the examples recorded with their source', () => {
      const plain = run(exe, ['-m', 'doctest', '-v', 'doctests.py'], { cwd: REAL });
      const r = record(exe, agent, ['-m', 'doctest', '--', '-v', 'doctests.py']);
      expect(r.run.stdout).toBe(plain.stdout);
      expect(r.run.status).toBe(plain.status);
      expect(plain.status).toBe(1); // one example fails on purpose
      const calls = r.events.filter((e) => e.kind === 'call' && e.function === 'double');
      expect(calls.map((e) => e.args.x.repr)).toEqual(['2', '-1']);
      const example = r.events.find((e) => e.kind === 'line' && e.file === '<doctest doctests.double[0]>');
      expect(example).toBeDefined();
      const [at, list] = replay(r.rec, [`goto ${example.seq}`, 'list']);
      expect(at.function).toBe('<module>');
      expect(list.lines.find((l: any) => l.line === 1).text).toBe('double(2)');
    });

    it('unittest: a test\'s exception caught by the runner is caught; finish and next stop where the test returns to the runner', () => {
      const m = markers(join(REAL, 'unittest_prog.py'));
      const plain = run(exe, ['unittest_prog.py'], { cwd: REAL });
      const r = record(exe, agent, ['unittest_prog.py']);
      expect(r.run.status).toBe(plain.status);
      expect(stripSummary(r.run.stderr).replace(/[\d.]+s\n/, 'Ts\n')).toBe(plain.stderr.replace(/[\d.]+s\n/, 'Ts\n'));
      const x = JSON.parse(rewind(['exceptions', '--json', r.rec]).stdout.trim().split('\n')[0]);
      expect(x).toMatchObject({ type: 'AssertionError', caught: true });
      const out = replay(r.rec, ['break check', 'continue', 'finish', 'next', 'delete 1', 'break check if x > 0', 'continue', 'finish', 'rfinish']);
      expect(out[1]).toMatchObject({ function: 'check', line: m.check });
      // check's caller, test_bad, runs no further line: it ends, back in the runner.
      expect(out[2]).toMatchObject({ function: 'Checks.test_bad', line: m.bad, stop: 'outside' });
      expect(out[3]).toMatchObject({ function: 'Checks.test_bad', line: m.bad, stop: 'outside' });
      expect(out[6]).toMatchObject({ function: 'check', line: m.check });
      expect(out[7]).toMatchObject({ function: 'Checks.test_good', line: m.good, stop: 'end' }); // nothing recorded runs after it
      expect(out[8]).toMatchObject({ function: 'Checks.test_good', line: m.good, stop: 'outside' });
      const tests = rewind(['tests', '--json', r.rec]).stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(tests.map((t) => [t.name, t.outcome])).toEqual([['Checks.test_bad', 'failed'], ['Checks.test_good', 'passed']]);
      expect(replay(r.rec, ['goto failure'])[0]).toMatchObject({ function: 'check', line: m.check });
    });

    it('an exception raised in a comprehension and never caught is listed once, not caught', () => {
      const r = record(exe, agent, ['comprehension_error.py']);
      expect(r.run.status).toBe(1);
      const xs = rewind(['exceptions', '--json', r.rec]).stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(xs.map((x) => [x.type, x.caught])).toEqual([['ZeroDivisionError', false]]);
      expect(r.info.uncaught.type).toBe('ZeroDivisionError');
    });

    it('a closure\'s free variables are part of its state from its first line', () => {
      const m = markers(join(REAL, 'closures_free.py'));
      const r = record(exe, agent, ['closures_free.py']);
      const first = r.events.find((e) => e.kind === 'line' && e.line === m.bump);
      expect(first.changed.count.repr).toBe('0');
      const [, , p] = replay(r.rec, ['break closures_free.py:' + m.bump, 'continue', 'p count']);
      expect(p.value.repr).toBe('0');
    });

    it('module globals changed by functions: recorded where they change, shown in every frame, in history', () => {
      const m = markers(join(REAL, 'module_globals.py'));
      const r = record(exe, agent, ['module_globals.py']);
      expect(r.run.stdout).toBe(run(exe, ['module_globals.py'], { cwd: REAL }).stdout);
      const changes = r.events.filter((e) => e.kind === 'globals').slice(0, 7)
        .map((e) => [e.function, e.module, Object.entries(e.changed).map(([k, v]: [string, any]) => `${k}=${v.repr}`).join(' ')]);
      expect(changes).toEqual([
        ['bump', '__main__', 'COUNT=1'], ['bump', '__main__', 'COUNT=3'], ['remember', '__main__', "CACHE={'a': 1}"],
        ['forget_later', '__main__', 'LATER=<unbound>'], ['login', '__main__', 'SESSION_TOKEN=<redacted>'],
        ['register', 'globals_helper', 'CALLS=1'], ['register', 'globals_helper', "REGISTRY=['x']"],
      ]);
      // In a function, a name that is not a local is its module's global, as of that moment
      // (the last state comes from a snapshot taken thousands of events in).
      const [, , before, , , total, globals] = replay(r.rec, [`break module_globals.py:${m['before-remember']}`, 'continue', 'p CACHE',
        `break module_globals.py:${m.total}`, 'continue', 'p COUNT', 'globals']);
      expect(before.value.repr).toBe('{}');
      expect(total.value.repr).toBe('3003');
      expect(globals.globals.CACHE.repr).toBe("{'a': 1}");
      expect(globals.globals.LATER).toBeUndefined();
      const history = rewind(['history', '--json', r.rec, 'COUNT']).stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(history.slice(0, 3).map((h) => [h.function, h.module, h.old?.repr ?? null, h.new.repr]))
        .toEqual([['<module>', '__main__', null, '0'], ['bump', '__main__', '0', '1'], ['bump', '__main__', '1', '3']]);
      expect(history.length).toBe(3 + 3000);
      expect(history[1].changedBy.line).toBe(m.bump);
    });

    it('equal code objects are different code: the same function in two files, a module imported afresh', () => {
      const r = record(exe, agent, ['equal_code.py']);
      expect(r.run.stdout).toBe('2 4 6\n');
      const calls = r.events.filter((e) => e.kind === 'call' && e.function === 'twice');
      expect(calls.map((e) => [e.file.split('/').pop(), e.args.x.repr])).toEqual([['twin_a.py', '1'], ['twin_b.py', '2'], ['twin_a.py', '3']]);
      // every frame returns where it was called: none is lost, the stack stays in step
      const rets = r.events.filter((e) => e.kind === 'return');
      expect(rets.filter((e) => e.function === 'twice').map((e) => e.value.repr)).toEqual(['2', '4', '6']);
      expect(rets).toHaveLength(r.events.filter((e) => e.kind === 'call').length);
      expect(r.events.at(-1)).toMatchObject({ kind: 'return', function: '<module>', depth: 1 });
    });

    it('code made from strings is never taken for a file of the working directory', () => {
      const m = markers(join(REAL, 'generated_code.py'));
      const r = record(exe, agent, ['generated_code.py']);
      expect(r.run.stdout).toBe(run(exe, ['generated_code.py'], { cwd: REAL }).stdout);
      const files = new Set(r.events.map((e) => e.file));
      expect([...files]).toEqual([join(REAL, 'generated_code.py')]);
      expect(r.events.find((e) => e.line === m.calls && e.kind === 'line')).toBeDefined();
      // Asked for, code from a string is recorded under an honest name.
      const inc = record(exe, agent, ['--include', '<string>', 'generated_code.py']);
      const made = inc.events.filter((e) => e.kind === 'call' && (e.function === 'made' || e.function === 'made2'));
      expect(made.map((e) => [e.function, e.file])).toEqual([['made', '<string>'], ['made2', '<string>']]);
    });

    it('recursion to the limit: the recording stays in step, or says loudly where it stopped', () => {
      const m = markers(join(REAL, 'deep_recursion.py'));
      const r = record(exe, agent, ['deep_recursion.py']);
      expect(r.run.stdout).toBe('after 5\n');
      const after = r.events.find((e) => e.kind === 'line' && e.line === m.after);
      if (r.info.accelerator !== 'on' && r.info.backend === 'settrace') {
        // The interpreter removes a Python trace function that cannot run: said, not hidden.
        expect(after).toBeUndefined();
        expect(r.info.warnings.map((w: any) => w.code)).toEqual(['tracer-lost']);
        expect(r.run.stderr).toContain('rewind: the recording is incomplete: the interpreter removed the pure-Python agent\'s tracer');
        return;
      }
      expect(after).toMatchObject({ function: '<module>', depth: 1 });
      const xs = rewind(['exceptions', '--json', r.rec]).stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(xs.map((x) => [x.type, x.caught])).toEqual([['RecursionError', true]]);
      expect(r.info.warnings).toBeUndefined();
    });

    it('everything after -m MODULE or the script belongs to the program, as with python', () => {
      const viaModule = record(exe, agent, ['-m', 'argv_echo', '-x', '--port', '8080', '-o', 'out']);
      expect(viaModule.run.status, viaModule.run.stderr).toBe(0);
      expect(viaModule.run.stdout).toBe("['-x', '--port', '8080', '-o', 'out']\n");
      const viaScript = record(exe, agent, ['argv_echo.py', '-x', '--verbose']);
      expect(viaScript.run.status, viaScript.run.stderr).toBe(0);
      expect(viaScript.run.stdout).toBe("['-x', '--verbose']\n");
    });

    it('an internal error of the agent is loud: the program carries on, the recording says it is incomplete and keeps what came before', () => {
      const m = markers(join(REAL, 'fault.py'));
      const plain = run(exe, ['fault.py'], { cwd: REAL });
      const r = record(exe, agent, ['fault.py'], { REWIND_AGENT_FAULT: 'faulty_helper.py' });
      expect(r.run.stdout).toBe(plain.stdout);
      expect(r.run.status).toBe(0);
      expect(r.run.stderr).toMatch(/rewind: the recording is incomplete: the agent stopped recording at event \d+ after an internal error \(RuntimeError: fault injected by REWIND_AGENT_FAULT/);
      expect(r.info.warnings[0].code).toBe('agent-error');
      expect(r.info.exitStatus).toBe(0);
      expect(rewind(['info', r.rec]).stdout).toMatch(/incomplete +the agent stopped recording/);
      const [end] = replay(r.rec, ['goto end']);
      expect(end.line).toBe(m.before + 1);
      // The agent alone says so too.
      const raw = join(tmp(), 'trace.raw');
      const alone = run(exe, ['-m', 'rewind_agent', '--accelerator', agent, '-o', raw, 'fault.py'],
        { cwd: REAL, env: { ...process.env, PYTHONPATH: join(REAL, '../../../agent'), REWIND_AGENT_FAULT: 'faulty_helper.py' } });
      expect(alone.stdout).toBe(plain.stdout);
      expect(alone.stderr).toContain('rewind_agent: the recording is incomplete: RuntimeError: fault injected');
      const imported = rewind(['import', raw, '-o', join(tmp(), 'imported')]);
      expect(imported.status).toBe(0);
      expect(imported.stderr).toMatch(/^rewind: the recording is incomplete: the agent stopped recording at event \d+ after an internal error/);
    });
  });
});

// pytest is Debian's (apt-get install python3-pytest), for /usr/bin/python3.
const PYTEST_PY = '/usr/bin/python3';
const hasPytest = run(PYTEST_PY, ['-c', 'import pytest'], {}).status === 0;
if (!hasPytest) console.warn('test/real-code.test.ts: SKIPPED the pytest tests — /usr/bin/python3 has no pytest (apt-get install python3-pytest)');

describe.skipIf(!hasPytest).each(['off', 'auto'])('a pytest run, recorded (accelerator %s)', (agent) => {
  const SUITE = join(PROGRAMS, 'pytest_suite');
  const args = ['-m', 'pytest', '-q', '--doctest-modules', '-p', 'no:cacheprovider', '.'];
  const timeless = (s: string) => s.replace(/ in [\d.]+s/g, ' in Ts');

  it('passes, fails, errors, skips and parametrizes as a plain run, with the same output and exit status', () => {
    const plain = run(PYTEST_PY, args, { cwd: SUITE });
    const rec = join(tmp(), 'rec');
    const r = rewind(['record', '--python', PYTEST_PY, '--accelerator', agent, '-o', rec, ...args], { cwd: SUITE });
    expect(plain.stdout).toMatch(/1 failed, 5 passed, 1 skipped, 1 error/);
    expect(timeless(r.stdout)).toBe(timeless(plain.stdout));
    expect(r.status).toBe(plain.status);
    const xs = rewind(['exceptions', '--json', rec]).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(xs.map((x) => [x.type, x.caught])).toEqual([['AssertionError', true], ['RuntimeError', true]]);
    const events = dump(rec);
    const params = events.filter((e) => e.kind === 'call' && e.function === 'test_param').map((e) => e.args.qty.repr);
    expect(params).toEqual(['1', '3', '2']);
    expect(events.some((e) => e.file.startsWith('<doctest shop.total'))).toBe(true);
    // From inside the failing test's call of total(): finish reaches the test, then stops
    // where the test goes back to pytest instead of running into the next test.
    const m = markers(join(SUITE, 'test_shop.py'));
    const out = replay(rec, ['break shop.py:' + markers(join(SUITE, 'shop.py')).add + ' if qty == 1 and price == 4.0', 'continue', 'continue', 'finish', 'finish', 'p expected', 'locals']);
    expect(out[3]).toMatchObject({ function: 'test_wrong_total', line: m.failing });
    expect(out[4]).toMatchObject({ function: 'test_wrong_total', line: m.failing, stop: 'outside' });
    expect(out[5].value.repr).toBe('8.0');
    expect(Object.keys(out[6].locals).some((k) => k.startsWith('@py'))).toBe(false);
    // The tests that ran, with their outcomes; goto failure and goto test.
    const tests = rewind(['tests', '--json', rec]).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(tests.map((t) => [t.name, t.outcome])).toEqual([
      ['test_total(cart=[(\'pen\', 2, 1.5), (\'ink\', 1, 4.0)])', 'passed'],
      ['test_wrong_total(cart=[(\'pen\', 2, 1.5), (\'ink\', 1, 4.0)])', 'failed'],
      ['test_param(qty=1, price=2.0, want=2.0)', 'passed'],
      ['test_param(qty=3, price=1.0, want=3.0)', 'passed'],
      ['test_param(qty=2, price=2.5, want=5.0)', 'passed'],
    ]);
    expect(tests[1].exception.type).toBe('AssertionError');
    const [failure, where, test, qty] = replay(rec, ['goto failure', 'where', 'goto test test_param(qty=3', 'p qty']);
    expect(failure).toMatchObject({ function: 'test_wrong_total', line: m.failing });
    expect(where.stack.at(-1).function).toBe('test_wrong_total');
    expect(test).toMatchObject({ function: 'test_param' });
    expect(qty.value.repr).toBe('3');
  });
});
