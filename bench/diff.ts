// How long `rewind diff` takes on two recordings of ~10⁶ events that diverge near their end,
// and on two that diverge at once (every step compared). Both recordings are indexed before
// the timing: the figure is the diff's own, end to end through the CLI. Prints a Markdown table.
//
//   npm run bench:diff             # BENCH_PYTHON=/path/python3.13 for another interpreter
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'dist/src/cli/main.js');
const PYTHON = process.env.BENCH_PYTHON ?? 'python3';
const WORK = join(ROOT, 'bench/workloads/diverge.py');
const N = 330_000; // iterations: ~10⁶ events

const rewind = (args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0 && !(args[0] === 'diff' && r.status === 1)) throw new Error(`rewind ${args[0]} failed: ${r.stderr}`);
  return r.stdout;
};
const dir = mkdtempSync(join(tmpdir(), 'rewind-bench-diff-'));
const rec = (name: string, ...args: string[]) => {
  const out = join(dir, name);
  rewind(['record', '--python', PYTHON, '-o', out, WORK, String(N), ...args]);
  return { out, events: JSON.parse(rewind(['info', '--json', out])).counts.events as number }; // info indexes it
};
const timed = (args: string[], runs = 3) => {
  const times: number[] = [];
  let out = '';
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    out = rewind(args);
    times.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  return { seconds: Math.min(...times), out };
};

const a = rec('a', 'a'), b = rec('b', 'b');
// A local differs from the start: no block is the same, every step is compared.
const early = rec('early', 'B');
const again = rec('again', 'a');
const startup = timed(['--version']).seconds;
const late = timed(['diff', '--json', a.out, b.out]);
const start = timed(['diff', '--json', '--all', '--limit', '2', a.out, early.out]);
const same = timed(['diff', '--json', a.out, again.out]);
console.log(`Python: ${spawnSync(PYTHON, ['--version'], { encoding: 'utf8' }).stdout.trim()}; ${a.events.toLocaleString('en-US')} and ${b.events.toLocaleString('en-US')} events; best of 3\n`);
console.log('| pair | divergences | matched events | rewind diff (s) | of which start-up |');
console.log('| --- | --- | ---: | ---: | ---: |');
const row = (name: string, r: { seconds: number; out: string }) => {
  const j = JSON.parse(r.out);
  console.log(`| ${name} | ${j.divergences.map((d: any) => d.kind).join(', ') || 'none'} | ${j.matched.toLocaleString('en-US')} | ${r.seconds.toFixed(2)} | ${startup.toFixed(2)} |`);
};
row('diverge near the end', late);
row('a value differs from the start (every step compared)', start);
row('the same run twice', same);
rmSync(dir, { recursive: true, force: true });
