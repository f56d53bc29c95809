// The oracle test: for each fixture program, the line events of a recording are, per thread
// and in order, exactly the (file, line, function) that plain sys.settrace reports, on every
// interpreter under test (3.11 uses the settrace back end, 3.12+ sys.monitoring).
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROGRAMS, ROOT, SKIP_NOTE, dump, noExtraPythons, pythons, rewind, run, tmp } from './helpers.js';

const programs = readdirSync(PROGRAMS).filter((f) => f.endsWith('.py')).sort();
const key = (threads: unknown[][]) => threads.map((t) => JSON.stringify(t)).sort();

describe.each(pythons())('oracle on $label', ({ exe }) => {
  it.each(programs)('%s: recorded line events match sys.settrace', (prog) => {
    const dir = tmp();
    const script = join(PROGRAMS, prog);
    const oracle = run(exe, [join(ROOT, 'test/oracle/settrace_lines.py'), join(dir, 'oracle.json'), script]);
    expect(oracle.status, oracle.stderr).toBe(0);
    const expected = JSON.parse(readFileSync(join(dir, 'oracle.json'), 'utf8')) as unknown[][];

    const rec = join(dir, 'rec');
    const r = rewind(['record', '--python', exe, '-o', rec, script]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(oracle.stdout);
    const perThread = new Map<number, unknown[]>();
    for (const e of dump(rec)) {
      if (e.kind !== 'line') continue;
      if (!perThread.has(e.thread)) perThread.set(e.thread, []);
      perThread.get(e.thread)!.push([e.file, e.line, e.function]);
    }
    expect(key([...perThread.values()])).toEqual(key(expected));
  });
});

it.skipIf(!noExtraPythons)(`sys.monitoring back end: ${SKIP_NOTE}`, () => {});
