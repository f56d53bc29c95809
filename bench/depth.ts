// What recording costs per event at stack depth 50 and at 5,000 (and 16,000): the same work at
// the bottom of a deep stack (bench/workloads/deep_work.py). Bytes on disk per event and the
// time of `rewind record` per event should not grow with the depth. Prints a Markdown table.
//
//   npm run bench:depth            # BENCH_PYTHON=/path/python3.13 for another interpreter
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'dist/src/cli/main.js');
const PYTHON = process.env.BENCH_PYTHON ?? 'python3';
const N = 300_000; // loop iterations at the bottom: ~900k events
const DEPTHS = [50, 5_000, 16_000];

const dirBytes = (d: string) => readdirSync(d).reduce((a, f) => a + statSync(join(d, f)).size, 0);

const rows: { depth: number; events: number; bytes: number; seconds: number }[] = [];
for (const depth of DEPTHS) {
  const dir = mkdtempSync(join(tmpdir(), 'rewind-bench-depth-'));
  const rec = join(dir, 'rec');
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, 'record', '--python', PYTHON, '-o', rec, join(ROOT, 'bench/workloads/deep_work.py'), String(depth), String(N)], { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`record failed at depth ${depth}: ${r.stderr}`);
  const info = JSON.parse(spawnSync(process.execPath, [CLI, 'info', '--json', rec], { encoding: 'utf8' }).stdout);
  rows.push({ depth, events: info.counts.events, bytes: dirBytes(rec), seconds });
  rmSync(dir, { recursive: true, force: true });
}
const base = rows[0];
const perEvent = (r: typeof base) => r.bytes / r.events;
console.log(`Python: ${spawnSync(PYTHON, ['--version'], { encoding: 'utf8' }).stdout.trim()}, ${N.toLocaleString('en-US')} loop iterations at the bottom\n`);
console.log('| depth | events | on disk | bytes/event | ÷ depth 50 | record s | µs/event |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(`| ${r.depth.toLocaleString('en-US')} | ${r.events.toLocaleString('en-US')} | ${(r.bytes / 2 ** 20).toFixed(1)} MB | ${perEvent(r).toFixed(1)} | ${(perEvent(r) / perEvent(base)).toFixed(2)} | ${r.seconds.toFixed(2)} | ${(r.seconds / r.events * 1e6).toFixed(2)} |`);
}
