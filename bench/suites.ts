// CPython's own test suites recorded with the module under test included: the result line and
// exit status must be those of a plain run; prints plain and recorded time, events, bytes on
// disk, the first open (which indexes the stream kept raw), and whether the recording says it is complete. A benchmark, not a test: it takes minutes.
//
//   npm run bench:suites                       # BENCH_PYTHON: an interpreter whose stdlib has its tests
//   BENCH_SUITES=test_json,test_heapq npm run bench:suites
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'dist/src/cli/main.js');
// timed as users run it: the command (bin/rewind.js), which starts node without NODE_EXTRA_CA_CERTS
const REWIND = join(ROOT, 'bin/rewind.js');
const PYTHON = process.env.BENCH_PYTHON ?? 'python3';
// suite -> globs of the module it tests (recorded too: "the module under test included")
const SUITES: Record<string, string[]> = {
  test_json: ['*/json/*', '*/test/test_json/*'],
  test_textwrap: ['*/textwrap.py', '*/test/test_textwrap.py'],
  test_difflib: ['*/difflib.py', '*/test/test_difflib.py'],
  test_fractions: ['*/fractions.py', '*/test/test_fractions.py'],
  test_argparse: ['*/argparse.py', '*/test/test_argparse.py'],
  test_heapq: ['*/heapq.py', '*/test/test_heapq.py'],
  test_bisect: ['*/bisect.py', '*/test/test_bisect.py'],
};
const chosen = (process.env.BENCH_SUITES ?? Object.keys(SUITES).join(',')).split(',');

const dirBytes = (d: string): number => readdirSync(d).reduce((a, f) => a + statSync(join(d, f)).size, 0);
const result = (s: string) => (s.match(/^(OK|FAILED).*$/m)?.[0] ?? '?');
const ran = (s: string) => (s.match(/^Ran \d+ tests?/m)?.[0] ?? '?');

function timed(args: string[]): { s: number; out: string; status: number | null } {
  const t = process.hrtime.bigint();
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { s: Number(process.hrtime.bigint() - t) / 1e9, out: `${r.stdout}${r.stderr}`, status: r.status };
}

const version = spawnSync(PYTHON, ['--version'], { encoding: 'utf8' }).stdout.trim();
console.log(`${version} (${PYTHON}), the accelerated agent, \`rewind record -m unittest test.SUITE\` with the module under test included\n`);
console.log('| suite | plain | plain s | recorded | same? | record s | × | first open s | events | on disk | bytes/event | complete |');
console.log('| --- | --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
for (const suite of chosen) {
  const plain = timed([PYTHON, '-m', 'unittest', `test.${suite}`]);
  const dir = mkdtempSync(join(tmpdir(), 'rewind-bench-suite-'));
  const rec = join(dir, 'rec');
  const include = SUITES[suite].flatMap((g) => ['--include', g]);
  const traced = timed([REWIND, 'record', '--python', PYTHON, '-o', rec, ...include, '-m', 'unittest', `test.${suite}`]);
  const open = timed([REWIND, 'info', rec]); // the first open indexes the stream kept raw
  const info = JSON.parse(spawnSync(process.execPath, [CLI, 'info', '--json', rec], { encoding: 'utf8' }).stdout || '{}');
  const same = result(plain.out) === result(traced.out) && ran(plain.out) === ran(traced.out) && plain.status === traced.status;
  const events = info.counts?.events ?? 0;
  const bytes = dirBytes(rec);
  const complete = info.warnings ? `no: ${info.warnings[0].message}` : 'yes';
  console.log(`| ${suite} | ${ran(plain.out)}, ${result(plain.out)} | ${plain.s.toFixed(2)} | ${ran(traced.out)}, ${result(traced.out)} | ${same ? 'yes' : '**no**'} | ${traced.s.toFixed(1)} | ${(traced.s / plain.s).toFixed(0)} | ${open.s.toFixed(1)} | ${events.toLocaleString('en-US')} | ${(bytes / 2 ** 20).toFixed(1)} MB | ${(bytes / Math.max(events, 1)).toFixed(1)} | ${complete} |`);
  rmSync(dir, { recursive: true, force: true });
}
