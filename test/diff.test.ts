// `rewind diff A B` on pairs of real runs that differ by a seed, an environment variable, a
// thread interleaving, and pairs that must not differ (dict order under another hash seed,
// object addresses). The built CLI, as a subprocess.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PROGRAMS, markers, rewind, tmp } from './helpers.js';

const D = join(PROGRAMS, 'diff');
const dir = tmp();

/** Records `program` with `args` and environment `env` into a fresh folder. */
function record(name: string, program: string, args: string[] = [], env: Record<string, string> = {}): string {
  const out = join(dir, name);
  const r = rewind(['record', '-o', out, join(D, program), ...args], { env: { ...process.env, ...env } });
  expect(r.stderr).toMatch(/recorded/);
  return out;
}

const diffJson = (a: string, b: string, extra: string[] = []) => {
  const r = rewind(['diff', '--json', ...extra, a, b]);
  expect(r.stderr).toBe('');
  return { status: r.status, ...JSON.parse(r.stdout) };
};

describe('rewind diff', () => {
  it('finds the first value that differs: a random seed', () => {
    const lines = markers(join(D, 'seeded.py'));
    const a = record('seed1', 'seeded.py', ['1']), b = record('seed2', 'seeded.py', ['2']);
    const r = diffJson(a, b);
    expect(r.status).toBe(1);
    expect(r.divergences).toHaveLength(1);
    const [d] = r.divergences;
    expect(d).toMatchObject({
      kind: 'value', name: 'v', a_value: '2', b_value: '1',
      a: { file: 'test/programs/diff/seeded.py', line: lines.draw, function: 'roll', thread: 'MainThread', stack: ['<module>:15', `roll:${lines.draw}`] },
      b: { file: 'test/programs/diff/seeded.py', line: lines.draw, function: 'roll' },
    });
    expect(r.matched).toBe(d.a.event + 1); // up to the line that drew a different number, all the same
    // The same run against itself: nothing, and exit status 0.
    const same = rewind(['diff', a, a]);
    expect(same.status).toBe(0);
    expect(same.stdout).toMatch(/^no divergence: the runs went the same way/);
    // The text form names both sides.
    const text = rewind(['diff', a, b]).stdout;
    expect(text).toMatch(/first divergence, after \d+ matching events: the value of v differs/);
    expect(text).toMatch(/A {2}event \d+ {2}test\/programs\/diff\/seeded\.py:\d+ in roll\(\) {2}\[MainThread\] {3}v = 2/);
  });

  it('finds where control flow splits: an environment variable', () => {
    const lines = markers(join(D, 'env_branch.py'));
    const a = record('slow', 'env_branch.py', [], { MODE: 'slow' }), b = record('fast', 'env_branch.py', [], { MODE: 'fast' });
    const r = diffJson(a, b, ['--all']);
    expect(r.divergences[0]).toMatchObject({ kind: 'control', a: { line: lines.slow, function: 'price' }, b: { line: lines.fast, function: 'price' } });
    // After re-synchronising: the second call goes its own way again, and the totals differ.
    expect(r.divergences.filter((d: any) => d.kind === 'control')).toHaveLength(2);
    expect(r.divergences.some((d: any) => d.kind === 'value' && d.name === 'total' && d.a_value === '3' && d.b_value === '2')).toBe(true);
    expect(diffJson(a, b, ['--all', '--limit', '1']).divergences).toHaveLength(1);
  });

  it('pairs threads by name and finds a different interleaving', () => {
    const lines = markers(join(D, 'interleave.py'));
    const a = record('ab', 'interleave.py', [], { ORDER: 'ab' }), b = record('ba', 'interleave.py', [], { ORDER: 'ba' });
    const r = diffJson(a, b, ['--all', '--ignore', 'order']);
    const [first] = r.divergences;
    // A thread's OS ids differ in every run: they never count.
    expect(JSON.stringify(r)).not.toMatch(/_ident=\d|_native_id=\d/);
    const inA = r.divergences.find((d: any) => d.a?.thread === 'worker-a' && d.name === 'log');
    expect(inA).toMatchObject({ kind: 'value', a_value: "['a']", b_value: "['b', 'a']", a: { line: lines.append } });
    expect(first.kind).toBe('value');
  });

  it('a real race, recorded until it fails (record --until-failure): diff finds where a worker went another way', () => {
    // A run fails about one time in three: run until one does, keeping the last passing run
    // too (if the very first run fails there is none: try again).
    let kept: { pass: string; fail: string; stderr: string } | null = null;
    for (let attempt = 0; attempt < 8 && !kept; attempt++) {
      const out = join(dir, `race-${attempt}`);
      const r = rewind(['record', '--until-failure', '40', '-o', out, join(D, 'race.py')]);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/rewind: run \d+ of 40 failed \(exit status 1\): recorded to /);
      if (existsSync(`${out}-pass`)) kept = { pass: `${out}-pass`, fail: out, stderr: r.stderr };
      else expect(r.stderr).toMatch(/no run passed before it/);
    }
    expect(kept, 'a passing run before a failing one, in 8 tries').not.toBeNull();
    expect(kept!.stderr).toMatch(/Where they part: rewind diff \S+-pass \S+/);
    const r = diffJson(kept!.pass, kept!.fail, ['--all']);
    expect(r.status).toBe(1);
    // A worker went another way (preempted or not), or read another value.
    expect(r.divergences.some((d: any) => /^worker-[12]$/.test(d.a?.thread) && d.a.function === 'bump' && (d.kind === 'control' || d.name === 'seen'))).toBe(true);
  });

  it('--until-failure: every run passing keeps nothing; it goes with no --pack/--keep/--index', () => {
    const ok = rewind(['record', '--until-failure', '3', '-o', join(dir, 'always'), join(D, 'hash_order.py')]);
    expect(ok.status).toBe(0);
    expect(ok.stderr).toMatch(/rewind: all 3 runs passed: nothing kept\./);
    expect(existsSync(join(dir, 'always'))).toBe(false);
    const bad = rewind(['record', '--until-failure', '3', '--pack', '-o', join(dir, 'x.rwd'), join(D, 'hash_order.py')]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--until-failure keeps recording folders of its own/);
  });

  it('does not report what always differs: dict order under another hash seed, object addresses', () => {
    const h1 = record('hash1', 'hash_order.py', [], { PYTHONHASHSEED: '1' }), h2 = record('hash2', 'hash_order.py', [], { PYTHONHASHSEED: '2' });
    expect(diffJson(h1, h2)).toMatchObject({ status: 0, divergences: [] });
    const a1 = record('addr1', 'addresses.py'), a2 = record('addr2', 'addresses.py');
    expect(diffJson(a1, a2)).toMatchObject({ status: 0, divergences: [] });
  });

  it('ignores names on request, and says how runs ended differently', () => {
    const a = record('seedA', 'seeded.py', ['1']), b = record('seedB', 'seeded.py', ['2']);
    const r = diffJson(a, b, ['--ignore', 'v', '--ignore', 'total', '--ignore', 't', '--ignore', '(return value)', '--ignore', 'rng']);
    expect(r.divergences).toEqual([]);
    const zero = record('code0', 'exits.py', [], { CODE: '0' }), three = record('code3', 'exits.py', [], { CODE: '3' });
    const ended = diffJson(zero, three);
    expect(ended.divergences).toEqual([{ kind: 'end', a: null, b: null, a_end: 'exit status 0', b_end: 'exit status 3' }]);
    expect(rewind(['diff', zero, three]).stdout).toMatch(/the runs end differently/);
  });

  it('refuses bad input in one sentence', () => {
    const a = record('bad-a', 'seeded.py', ['1']);
    const r = rewind(['diff', a, join(dir, 'nosuch')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/does not exist/);
    const m = rewind(['diff', '--map', 'nonsense', a, a]);
    expect(m.stderr).toMatch(/--map takes OLD=NEW/);
    expect(m.status).not.toBe(0);
  });

  it('in replay: diff OTHER goes to the first divergence', () => {
    const lines = markers(join(D, 'seeded.py'));
    const a = record('rep-a', 'seeded.py', ['1']), b = record('rep-b', 'seeded.py', ['2']);
    const r = rewind(['replay', '--json', a], { input: `diff ${b}\nwhere\n` });
    const [diff, where] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(diff.diff.divergences[0]).toMatchObject({ kind: 'value', name: 'v' });
    expect(diff.moved).toMatchObject({ line: lines.draw, function: 'roll' });
    expect(where.stack.at(-1)).toMatchObject({ line: lines.draw, function: 'roll' });
  });
});
