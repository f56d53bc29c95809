// Memory of the traced process does not grow with the length of the run: the accelerated agent
// (and the pure one, for comparison) records a program for 10^6 and for 10^8 events; the peak
// resident size of the traced process is read from the kernel (wait4's ru_maxrss).
//
//   npm run bench:memory                  # 10^6 and 10^8 events on python3 (minutes)
//   BENCH_EVENTS=1e7 npm run bench:memory # a shorter long run
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PROGRAM = join(ROOT, 'bench/workloads/long_calls.py');
const EVENTS_PER_ITERATION = 6;
const LONG = Number(process.env.BENCH_EVENTS ?? 1e8);
const python = process.env.BENCH_PYTHON ?? 'python3';
// Runs the command as a child of Python so that wait4 reports the child's own peak RSS.
const PEAK = 'import os, subprocess, sys, time\n' +
  't = time.time(); p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)\n' +
  '_, status, ru = os.wait4(p.pid, 0)\n' +
  'print(ru.ru_maxrss, time.time() - t, status)';

function peak(args: string[]): { kb: number; seconds: number } {
  const r = spawnSync(python, ['-c', PEAK, python, ...args], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: join(ROOT, 'agent') } });
  const [kb, seconds, status] = r.stdout.trim().split(' ').map(Number);
  if (r.status !== 0 || status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return { kb, seconds };
}

const tmp = mkdtempSync(join(tmpdir(), 'rewind-memory-'));
const raw = join(tmp, 'long.raw');
console.log(`# memory of the traced process — ${cpus()[0]?.model ?? 'cpu'}, ${python}\n`);
console.log('| agent | events | peak RSS | seconds | raw stream |');
console.log('|---|---:|---:|---:|---:|');
const plain = peak([PROGRAM, String(Math.round(1e6 / EVENTS_PER_ITERATION))]);
console.log(`| none (plain run) | 0 | ${(plain.kb / 1024).toFixed(1)} MB | ${plain.seconds.toFixed(1)} | |`);
for (const mode of ['on', 'off']) {
  for (const events of [1e6, ...(mode === 'on' ? [LONG] : [])]) {
    const n = Math.round(events / EVENTS_PER_ITERATION);
    const r = peak(['-m', 'rewind_agent', '--accelerator', mode, '-o', raw, PROGRAM, String(n)]);
    const size = statSync(raw).size;
    console.log(`| ${mode === 'on' ? 'accelerated' : 'pure Python'} | ${events.toExponential(0)} | ${(r.kb / 1024).toFixed(1)} MB | ${r.seconds.toFixed(1)} | ${(size / 1e6).toFixed(0)} MB |`);
    rmSync(raw, { force: true });
  }
}
rmSync(tmp, { recursive: true, force: true });
