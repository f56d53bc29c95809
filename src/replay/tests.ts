// The tests of a recorded pytest or unittest run, read from the recording itself: the frames of
// functions named test* that were called by code that is not recorded (the runner), with an
// outcome from how each frame ended and the exception that ended it. Tests that never ran
// (skipped by a marker, a fixture that failed first) have no frame, so they are not listed.
import { BLOCK, EK, type Recording } from '../store/store.js';
import { toJson } from '../wire/values.js';

export type Outcome = 'passed' | 'failed' | 'error' | 'skipped' | 'running';

export interface TestRun {
  /** Its qualified name, with the arguments of a parametrized test: test_sum(a=1, b=2). */
  name: string;
  function: string;
  file: string;
  line: number; // where it is defined
  outcome: Outcome;
  start: number; // its call event
  end: number | null; // its return or unwind event (null: still running when the recording ended)
  events: number;
  exception?: { type: string; message: string | null; seq: number; thread: number; frame: number };
}

const SKIPPED = /(^|\.)(Skipped|SkipTest)$/; // pytest.skip(), unittest's skipTest()
const FAILED = /(^|\.)(AssertionError|Failed)$/; // an assert, pytest.fail()

/** Every test that ran, in the order they started. */
export async function testsIn(rec: Recording, path: (file: number) => string): Promise<TestRun[]> {
  const runs: TestRun[] = [];
  for (const [id, code] of rec.codes.entries()) {
    if (!code || !code.name.startsWith('test')) continue;
    for await (const b of rec.codeBlocks(id)) {
      const events = await rec.block(b);
      for (let i = 0; i < events.length; i++) {
        const e = events[i];
        if (e[0] !== EK.CALL || e[4] !== id) continue;
        const run = await testRun(rec, b * BLOCK + i, e, path(code.file), code.qualname, code.firstLine);
        if (run) runs.push(run);
      }
    }
  }
  return runs.sort((a, b) => a.start - b.start);
}

async function testRun(rec: Recording, start: number, call: unknown[], file: string, qualname: string, line: number): Promise<TestRun | null> {
  const f = await rec.frame(call[2] as number);
  const end = f?.end ?? null;
  const last = end !== null ? await rec.event(end) : undefined;
  if (last && last[7] !== true) return null; // called by recorded code: a helper named test*, not a test
  const args: string[] = [];
  const pairs = (call[6] as unknown[] | undefined) ?? [];
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const name = rec.name(pairs[i] as number);
    if (name !== 'self') args.push(`${name}=${toJson(pairs[i + 1] as never, (n) => rec.name(n)).repr}`);
  }
  const run: TestRun = {
    name: args.length ? `${qualname}(${args.join(', ')})` : qualname,
    function: qualname, file, line, outcome: 'running', start, end, events: (end ?? rec.eventCount - 1) - start + 1,
  };
  if (!last) return run;
  if (last[0] !== EK.UNWIND) { run.outcome = 'passed'; return run; }
  // What ended it: the last exception raised on its thread while it ran.
  let x = null;
  for await (const r of rec.exceptions(start, end!)) if (r.thread === call[1]) x = r;
  run.exception = x ? { type: x.type, message: x.message, seq: x.seq, thread: x.thread, frame: x.frame } : undefined;
  run.outcome = !x ? 'error' : SKIPPED.test(x.type) ? 'skipped' : FAILED.test(x.type) ? 'failed' : 'error';
  return run;
}
