// Runs the agent's own unit tests (test/agent, Python unittest) on every interpreter under test.
import { describe, expect, it } from 'vitest';
import { ROOT, SKIP_NOTE, noExtraPythons, pythons, run } from './helpers.js';

describe.each(pythons())('agent unit tests on $label', ({ exe }) => {
  it('python -m unittest discover -s test/agent', () => {
    const r = run(exe, ['-m', 'unittest', 'discover', '-s', 'test/agent'], { cwd: ROOT });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\nOK\n?$/);
  });
});

it.skipIf(!noExtraPythons)(`agent unit tests on 3.12+: ${SKIP_NOTE}`, () => {});
